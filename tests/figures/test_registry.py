"""FIGURES: the YAML kinds, their adapters over run results, and the render path staying Keras-free."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from conftest import CLASSES, make_result

from reportgen.errors import RenderError
from reportgen.figures import FIGURES, normalise_per_channel


def test_known_kinds_and_unknown_kind_message():
    from reportgen.spec import catalog

    assert FIGURES.names() == ["activations", "codes", "confusion", "curves", "diagram", "filters", "reconstructions", "weights"]
    assert FIGURES.names() == sorted(catalog.FIGURES)  # every kind a file may name can be drawn
    with pytest.raises(KeyError, match=r"unknown figure kind 'curve'; known: activations, codes, confusion, curves, diagram, filters, "
                                       r"reconstructions, weights\. Did you mean 'curves'\?"):
        FIGURES.get("curve")


def test_reconstructions_adapter_scales_by_the_datas_maximum_and_shows_noisy_inputs_of_denoising_runs():
    from reportgen.figures.reconstructions import panel_images

    rng = np.random.default_rng(0)
    original = rng.integers(0, 17, size=(4, 8, 8, 1)).astype(np.uint8)  # digits: pixels 0..16
    noisy = np.clip(original.astype(int) + 3, 0, 16).astype(np.uint8)
    output = rng.random((4, 8, 8, 1)).astype(np.float32)
    plain = make_result("ae", arrays={"samples/original": original, "samples/input": original, "samples/output": output})
    dae = make_result("dae", arrays={"samples/original": original, "samples/input": noisy, "samples/output": output})
    for result, noise in ((plain, None), (dae, 0.3)):
        result.record.update(run={"noise": noise} if noise else {}, dataset={"classes": list("0123456789"), "max_value": 16})
    fig = FIGURES.get("reconstructions")({"runs": ["ae", "dae"], "images": 4}, {"ae": plain, "dae": dae})
    panels = panel_images(fig)
    assert max(r for r, _ in panels) == 3  # original; ae's reconstruction; dae's noisy input and reconstruction
    np.testing.assert_allclose(np.squeeze(panels[(0, 2)]), original[2, ..., 0] / 16, rtol=1e-6)
    np.testing.assert_allclose(np.squeeze(panels[(2, 1)]), noisy[1, ..., 0] / 16, rtol=1e-6)
    other = make_result("other", arrays={"samples/original": original[::-1].copy(), "samples/input": original, "samples/output": output})
    other.record.update(dataset={"classes": list("0123456789"), "max_value": 16})
    with pytest.raises(RenderError, match="reconstructs other test images than 'ae'"):
        FIGURES.get("reconstructions")({"runs": ["ae", "other"]}, {"ae": plain, "other": other})


def test_curves_adapter_labels_runs_by_name(results):
    fig = FIGURES.get("curves")({"runs": ["mlp", "dense1"], "caption": "x"}, results)
    assert [t.get_text() for t in fig.legends[0].get_texts()][:2] == ["mlp", "dense1"]
    assert len(fig.axes) == 2
    fig = FIGURES.get("curves")({"runs": ["mlp"], "metrics": ["accuracy"], "kind": "curves"}, results)
    assert len(fig.axes) == 1


def test_curves_adapter_names_val_series_by_the_runs_validation(results):
    results["dense1"].record["run"] = {"training": {"validation": "test"}}
    results["mlp"].record["run"] = {"training": {"validation": "test"}}
    fig = FIGURES.get("curves")({"runs": ["dense1", "mlp"]}, results)
    assert [t.get_text() for t in fig.legends[0].get_texts()][2:] == ["train", "test (used for validation)"]
    results["mlp"].record["run"] = {"training": {"validation": 0.1}}
    fig = FIGURES.get("curves")({"runs": ["dense1", "mlp"]}, results)
    assert [t.get_text() for t in fig.legends[0].get_texts()][2:] == ["train", "validation", "test (used for validation)"]
    fig = FIGURES.get("curves")({"runs": ["mlp"]}, results)
    assert [t.get_text() for t in fig.legends[0].get_texts()][1:] == ["train", "validation"]


def test_curves_adapter_unknown_run(results):
    with pytest.raises(RenderError, match="no result for run 'cnn'; results: dense1, mlp"):
        FIGURES.get("curves")({"runs": ["cnn"]}, results)


def test_curves_adapter_missing_metric(results):
    with pytest.raises(RenderError, match="run 'dense1' has no 'mean_squared_error'.*available: accuracy, loss"):
        FIGURES.get("curves")({"runs": ["dense1"], "metrics": ["mean_squared_error"]}, results)


def _panels(fig):
    return [ax for ax in fig.axes if ax.get_gid() != "colorbar"]


def test_weights_adapter_uses_first_dense_layer_shape_and_classes(results):
    fig = FIGURES.get("weights")({"run": "dense1", "caption": ""}, results)
    assert [ax.get_title() for ax in _panels(fig)] == CLASSES
    kernel = results["dense1"].arrays["weights/dense/0"]
    assert np.array_equal(fig.axes[3].get_images()[0].get_array(), normalise_per_channel(kernel[:, 3].reshape(32, 32, 3)))


def test_weights_adapter_named_layer_and_columns():
    rng = np.random.default_rng(0)
    layers = [{"name": "hidden", "kind": "Dense"}, {"name": "out", "kind": "Dense"}]
    arrays = {"weights/hidden/0": rng.normal(size=(64, 4)), "weights/out/0": rng.normal(size=(4, 4))}
    result = make_result("mlp", input_shape=(8, 8), layers=layers, arrays=arrays, classes=list("abcd"))
    fig = FIGURES.get("weights")({"run": "mlp", "layer": "hidden", "columns": 2}, {"mlp": result})
    assert len(_panels(fig)) == 4 and {ax.get_subplotspec().get_geometry()[:2] for ax in _panels(fig)} == {(2, 2)}
    assert len(fig.axes) == 5  # and the colour bar


def test_weights_adapter_rejects_a_dense_layer_not_on_the_flattened_input():
    layers = [{"name": "conv1", "kind": "Conv2D"}, {"name": "flatten", "kind": "Flatten"}, {"name": "dense", "kind": "Dense"}]
    arrays = {"weights/conv1/0": np.zeros((3, 3, 3, 8)), "weights/dense/0": np.zeros((2048, 10))}
    result = make_result("cnn", layers=layers, arrays=arrays)
    with pytest.raises(RenderError, match=r"layer 'dense' of run 'cnn' takes 2048 inputs.*needs a first Dense layer on the flattened input"):
        FIGURES.get("weights")({"run": "cnn"}, {"cnn": result})


def test_weights_adapter_layer_errors():
    layers = [{"name": "conv1", "kind": "Conv2D"}]
    result = make_result("cnn", layers=layers, arrays={"weights/conv1/0": np.zeros((3, 3, 3, 8))})
    with pytest.raises(RenderError, match="run 'cnn' has no Dense layer"):
        FIGURES.get("weights")({"run": "cnn"}, {"cnn": result})
    with pytest.raises(RenderError, match="layer 'conv1' of run 'cnn' is a Conv2D layer; its Dense layers: none"):
        FIGURES.get("weights")({"run": "cnn", "layer": "conv1"}, {"cnn": result})
    with pytest.raises(RenderError, match="layer 'nope' of run 'cnn' has no such layer"):
        FIGURES.get("weights")({"run": "cnn", "layer": "nope"}, {"cnn": result})


def test_confusion_adapter_reads_test_labels_and_predictions(results):
    from sklearn.metrics import confusion_matrix

    arrays = results["mlp"].arrays
    fig = FIGURES.get("confusion")({"run": "mlp", "normalize": False}, results)
    assert np.array_equal(np.asarray(fig.axes[0].get_images()[0].get_array()), confusion_matrix(arrays["y_test"], arrays["y_pred"], labels=range(10)))
    fig = FIGURES.get("confusion")({"run": "mlp", "normalize": True}, results)
    assert np.allclose(np.asarray(fig.axes[0].get_images()[0].get_array()).sum(axis=1), 1.0)


def test_confusion_adapter_missing_arrays():
    result = make_result("r", arrays={"y_test": np.array([0, 1])})
    with pytest.raises(RenderError, match="run 'r' saved no array 'y_pred'; it has: y_test"):
        FIGURES.get("confusion")({"run": "r"}, {"r": result})


def _cnn(**extra):
    rng = np.random.default_rng(5)
    layers = [{"name": "conv1", "kind": "Conv2D"}, {"name": "relu1", "kind": "Activation"},
              {"name": "conv2", "kind": "Conv2D"}, {"name": "flatten", "kind": "Flatten"}, {"name": "dense", "kind": "Dense"}]
    arrays = {"weights/conv2/0": rng.normal(size=(3, 3, 32, 16)), "weights/conv2/1": np.zeros(16),
              "weights/conv1/0": rng.normal(size=(3, 3, 3, 32)), "weights/conv1/1": np.zeros(32),
              "weights/dense/0": rng.normal(size=(4096, 10)), **extra}
    return make_result("cnn", layers=layers, arrays=arrays)


def test_filters_adapter_draws_every_filter_of_the_named_layer():
    result = _cnn()
    kernel = result.arrays["weights/conv1/0"]
    fig = FIGURES.get("filters")({"run": "cnn", "layer": "conv1", "caption": "Filters of conv1"}, {"cnn": result})
    assert [ax.get_title() for ax in _panels(fig)] == [str(k) for k in range(1, 33)]
    assert np.array_equal(fig.axes[4].get_images()[0].get_array(), normalise_per_channel(kernel[..., 4]))
    fig = FIGURES.get("filters")({"run": "cnn", "layer": "conv2", "columns": 4}, {"cnn": result})
    panels = [ax for ax in fig.axes if (ax.get_gid() or "").startswith("filter:")]
    assert len(panels) == 16 and {ax.get_subplotspec().get_geometry()[:2] for ax in panels} == {(4, 4)}


@pytest.mark.parametrize("layer", ["dense", "relu1", "nope", None])
def test_filters_adapter_names_the_run_and_its_convolution_layers(layer):
    options = {"run": "cnn"} if layer is None else {"run": "cnn", "layer": layer}
    with pytest.raises(RenderError, match=r"; layers of run 'cnn' with 4-D kernels: conv1, conv2$") as info:
        FIGURES.get("filters")(options, {"cnn": _cnn()})
    assert "\n" not in str(info.value)
    if layer is not None:
        assert f"no convolution kernel for layer '{layer}'" in str(info.value)


def test_filters_adapter_run_without_convolutions(results):
    with pytest.raises(RenderError, match="layers of run 'dense1' with 4-D kernels: none"):
        FIGURES.get("filters")({"run": "dense1", "layer": "dense"}, results)


def test_figures_import_neither_keras_nor_pyplot():
    code = ("import sys, reportgen.figures; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('keras', 'tensorflow', 'torch', 'jax') or m == 'matplotlib.pyplot']; "
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
