"""make_activations against a real Keras model: one panel per channel holding that channel's output, layout, errors."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import FakeResult

from reportgen.errors import RenderError
from reportgen.figures import FIGURES, make_activations, panel_arrays
from reportgen.figures._style import WIDTH

LAYERS = ("conv1", "relu1", "pool1")


@pytest.fixture(scope="module")
def keras_outputs():
    """A random 32x32x3 uint8 image and, per layer, the layer's output from a Keras sub-model (batch axis dropped)."""
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(0)
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(8, 3, padding="same", name="conv1")(inputs)
    x = keras.layers.Activation("relu", name="relu1")(x)
    x = keras.layers.MaxPooling2D(2, name="pool1")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    model = keras.Model(inputs, keras.layers.Dense(10, name="dense")(x))
    image = np.random.default_rng(0).integers(0, 256, size=(32, 32, 3), dtype=np.uint8)
    x = image[np.newaxis].astype("float32") / 255.0
    outputs = {name: np.asarray(keras.Model(model.input, model.get_layer(name).output).predict(x, verbose=0))
               for name in (*LAYERS, "flatten")}
    assert outputs["pool1"].shape == (1, 16, 16, 8)
    return image, outputs


def _maps(outputs, names=LAYERS):
    return {name: outputs[name][0] for name in names}


def test_each_layer_has_one_panel_per_channel_holding_that_channel(keras_outputs):
    image, outputs = keras_outputs
    fig = make_activations(image, _maps(outputs))
    drawn = panel_arrays(fig)
    assert list(drawn) == list(LAYERS)
    for name in LAYERS:
        expected = outputs[name][0]
        assert len(drawn[name]) == expected.shape[-1] == 8
        for c, panel in enumerate(drawn[name]):
            np.testing.assert_allclose(panel, expected[..., c], rtol=1e-6)
    assert len(fig.axes) == 1 + 3 * 8


def test_relu_panels_are_the_rectified_conv_panels(keras_outputs):
    image, outputs = keras_outputs
    drawn = panel_arrays(make_activations(image, _maps(outputs)))
    for conv, relu in zip(drawn["conv1"], drawn["relu1"]):
        np.testing.assert_allclose(relu, np.maximum(conv, 0), rtol=1e-6)
        assert relu.min() >= 0


def test_the_input_comes_first_titled_input(keras_outputs):
    image, outputs = keras_outputs
    fig = make_activations(image, _maps(outputs))
    first = fig.axes[0]
    assert first.get_title(loc="left") == "input" and first.get_gid() == "input"
    assert np.array_equal(first.get_images()[0].get_array(), image)


def test_groups_are_titled_with_layer_name_and_shape_in_order(keras_outputs):
    image, outputs = keras_outputs
    fig = make_activations(image, _maps(outputs, ("pool1", "conv1")))
    assert [t.get_text() for t in fig.texts] == ["pool1 (16x16x8)", "conv1 (32x32x8)"]
    assert list(panel_arrays(fig)) == ["pool1", "conv1"]


def test_panels_are_viridis_without_ticks_each_on_its_own_scale(keras_outputs):
    image, outputs = keras_outputs
    fig = make_activations(image, _maps(outputs))
    panels = [ax for ax in fig.axes if ":" in (ax.get_gid() or "")]
    assert all(ax.get_images()[0].get_cmap().name == "viridis" for ax in panels)
    assert all(len(ax.get_xticks()) == 0 and len(ax.get_yticks()) == 0 for ax in fig.axes)
    plane = outputs["conv1"][0][..., 5]
    np.testing.assert_allclose(panels[5].get_images()[0].get_clim(), (plane.min(), plane.max()), rtol=1e-6)


def test_ninety_seven_panels_fit_the_page_width_in_aligned_rows():
    """3 layers of 32 channels: 2 rows of 16 per layer, square panels about 1 cm wide, no overlaps, under 6 inches."""
    rng = np.random.default_rng(1)
    maps = {"conv": rng.normal(size=(32, 32, 32)), "relu": rng.random((32, 32, 32)), "pool": rng.random((16, 16, 32))}
    fig = make_activations(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8), maps)
    assert len(fig.axes) == 97 and {k: len(v) for k, v in panel_arrays(fig).items()} == {"conv": 32, "relu": 32, "pool": 32}
    width, height = fig.get_size_inches()
    assert width == pytest.approx(WIDTH) and height < 6
    boxes = np.array([ax.get_position().extents for ax in fig.axes]) * [width, height, width, height]
    assert boxes.min() >= -1e-9 and boxes[:, 2].max() <= width + 1e-9 and boxes[:, 3].max() <= height + 1e-9
    sizes = boxes[1:, 2:] - boxes[1:, :2]
    assert np.allclose(sizes, sizes[0]) and sizes[0, 0] == pytest.approx(sizes[0, 1]) and sizes[0, 0] > 0.35
    for i, a in enumerate(boxes):
        others = boxes[i + 1:]
        overlap = (np.minimum(a[2], others[:, 2]) > np.maximum(a[0], others[:, 0]) + 1e-9) & \
                  (np.minimum(a[3], others[:, 3]) > np.maximum(a[1], others[:, 1]) + 1e-9)
        assert not overlap.any()
    lefts = {round(x, 6) for x in boxes[1:, 0]}
    assert len(lefts) == 16  # channel c of every layer sits in the same column


def test_grey_input_batch_axis_and_columns():
    rng = np.random.default_rng(2)
    fig = make_activations(rng.integers(0, 256, (28, 28, 1), dtype=np.uint8), {"c": rng.random((1, 14, 14, 6))}, columns=4)
    drawn = fig.axes[0].get_images()[0]
    assert drawn.get_array().shape == (28, 28) and drawn.get_cmap().name == "gray"
    assert len(panel_arrays(fig)["c"]) == 6
    lefts = sorted({round(ax.get_position().x0, 6) for ax in fig.axes[1:]})
    assert len(lefts) == 4


def test_float_input_in_zero_one_is_scaled_to_bytes():
    fig = make_activations(np.full((4, 4, 3), 0.5), {"c": np.ones((4, 4, 1))})
    assert np.all(fig.axes[0].get_images()[0].get_array() == 128)


def test_errors_are_one_line(keras_outputs):
    image, outputs = keras_outputs
    cases = [
        (lambda: make_activations(image, {"flatten": outputs["flatten"][0]}),
         r"layer 'flatten' has output shape \(2048,\); expected activation maps of shape \(h, w, channels\)"),
        (lambda: make_activations(image, {}), "no layers to show"),
        (lambda: make_activations(image[..., :2], _maps(outputs)), r"expected an input image of shape .* Received shape \(32, 32, 2\)"),
        (lambda: make_activations(image, {"c": np.full((4, 4, 2), np.nan)}), "layer 'c' holds NaN"),
        (lambda: make_activations(image, _maps(outputs), columns=0), "expected a positive integer. Received: columns=0"),
    ]
    for call, message in cases:
        with pytest.raises(RenderError, match=message) as info:
            call()
        assert "\n" not in str(info.value)


def test_adapter_reads_the_probe_and_draws_layers_in_the_given_order(keras_outputs):
    image, outputs = keras_outputs
    probe = {"image": image, **_maps(outputs)}
    result = FakeResult("cnn", {"activations-train-12": probe, "activations-train-3": probe})
    fig = FIGURES.get("activations")({"run": "cnn", "layers": ["relu1", "conv1"], "caption": "x"}, {"cnn": result})
    assert result.probed == ["activations-train-12"]
    drawn = panel_arrays(fig)
    assert list(drawn) == ["relu1", "conv1"] and len(drawn["relu1"]) == 8
    for c in range(8):
        np.testing.assert_allclose(drawn["relu1"][c], outputs["relu1"][0][..., c], rtol=1e-6)
    np.testing.assert_array_equal(fig.axes[0].get_images()[0].get_array(), image)
    FIGURES.get("activations")({"run": "cnn", "layers": ["pool1"], "image": 3}, {"cnn": result})
    assert result.probed[-1] == "activations-train-3"


def test_adapter_errors_name_what_is_available(keras_outputs):
    image, outputs = keras_outputs
    result = FakeResult("cnn", {"activations-train-12": {"image": image, **_maps(outputs)}})
    adapter = FIGURES.get("activations")
    with pytest.raises(RenderError, match="run 'cnn' recorded no output of layer 'conv2' for training image 12; "
                                          "recorded layers: conv1, relu1, pool1"):
        adapter({"run": "cnn", "layers": ["conv1", "conv2"]}, {"cnn": result})
    with pytest.raises(RenderError, match="run 'cnn' recorded no probe 'activations-train-7'"):
        adapter({"run": "cnn", "layers": ["conv1"], "image": 7}, {"cnn": result})
    with pytest.raises(RenderError, match="no result for run 'other'; results: cnn"):
        adapter({"run": "other", "layers": ["conv1"]}, {"cnn": result})
    no_image = FakeResult("cnn", {"activations-train-12": _maps(outputs)})
    with pytest.raises(RenderError, match="has no input image; it has: conv1, relu1, pool1"):
        adapter({"run": "cnn", "layers": ["conv1"]}, {"cnn": no_image})
