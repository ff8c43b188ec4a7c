"""make_weight_images and normalise_per_channel: per-channel scaling, the grid, shape errors."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import CLASSES
from matplotlib.backends.backend_agg import FigureCanvasAgg

from reportgen.errors import RenderError
from reportgen.figures import make_weight_images, normalise_per_channel


def test_each_channel_spans_0_to_255_independently():
    rng = np.random.default_rng(0)
    image = rng.normal(size=(32, 32, 3)) * np.array([1e-3, 1.0, 50.0]) + np.array([5.0, -2.0, 0.0])
    out = normalise_per_channel(image)
    assert out.dtype == np.uint8 and out.shape == (32, 32, 3)
    for c in range(3):
        assert out[..., c].min() == 0 and out[..., c].max() == 255
        # order-preserving within the channel
        flat, scaled = image[..., c].ravel(), out[..., c].ravel().astype(int)
        assert np.all(np.diff(scaled[np.argsort(flat)]) >= 0)


def test_known_values():
    image = np.stack([np.array([[0.0, 1.0], [2.0, 4.0]]), np.array([[-1.0, -1.0], [1.0, 1.0]])], axis=-1)
    out = normalise_per_channel(image)
    assert out[..., 0].tolist() == [[0, 64], [128, 255]]
    assert out[..., 1].tolist() == [[0, 0], [255, 255]]


def test_constant_channel_is_mid_grey_and_does_not_crash():
    image = np.random.default_rng(1).normal(size=(4, 4, 3))
    image[..., 1] = 0.7
    with np.errstate(all="raise"):
        out = normalise_per_channel(image)
    assert np.all(out[..., 1] == 128)
    assert out[..., 0].min() == 0 and out[..., 0].max() == 255


def test_grey_image_keeps_two_dimensions():
    out = normalise_per_channel(np.arange(16.0).reshape(4, 4))
    assert out.shape == (4, 4) and out.min() == 0 and out.max() == 255


def test_nan_weights_are_a_render_error():
    with pytest.raises(RenderError, match="NaN"):
        normalise_per_channel(np.full((2, 2, 3), np.nan))


def _panels(fig):
    return [ax for ax in fig.axes if ax.get_gid() != "colorbar"]


def _images(fig):
    return [ax.get_images()[0] for ax in _panels(fig) if ax.get_images()]


def _bars(fig):
    return [ax for ax in fig.axes if ax.get_gid() == "colorbar"]


def test_one_titled_rgb_image_per_class_in_a_five_by_two_grid():
    kernel = np.random.default_rng(2).normal(size=(32 * 32 * 3, 10))
    fig = make_weight_images(kernel, (32, 32, 3), CLASSES)
    images = _images(fig)
    assert len(images) == 10 == len(_panels(fig)) == len(fig.axes) - 1
    assert [ax.get_title() for ax in _panels(fig)] == CLASSES
    assert {ax.get_subplotspec().get_geometry()[:2] for ax in _panels(fig)} == {(2, 5)}
    first = images[0].get_array()
    assert first.shape == (32, 32, 3) and first.dtype == np.uint8
    assert np.array_equal(first, normalise_per_channel(kernel[:, 0].reshape(32, 32, 3)))
    assert all(len(ax.get_xticks()) == 0 and len(ax.get_yticks()) == 0 for ax in _panels(fig))


def test_columns_option_and_unused_cells_removed():
    kernel = np.random.default_rng(3).normal(size=(12, 7))
    fig = make_weight_images(kernel, (4, 3), list("abcdefg"), columns=3)
    assert len(_panels(fig)) == 7 and len(_bars(fig)) == 1
    assert {ax.get_subplotspec().get_geometry()[:2] for ax in _panels(fig)} == {(3, 3)}


@pytest.mark.parametrize("shape", [(8, 8), (8, 8, 1)])
def test_single_channel_is_the_weights_on_one_symmetric_diverging_scale(shape):
    kernel = np.random.default_rng(4).normal(size=(64, 10))
    kernel[:, 7] *= 5  # the strongest class sets the scale for all
    fig = make_weight_images(kernel, shape, [str(i) for i in range(10)])
    limit = np.abs(kernel).max()
    for k, image in enumerate(_images(fig)):
        assert image.get_array().shape == (8, 8) and image.get_cmap().name == "RdBu_r"
        np.testing.assert_allclose(image.get_array(), kernel[:, k].reshape(8, 8))
        np.testing.assert_allclose(image.get_clim(), (-limit, limit))


def test_grey_weights_have_one_colour_bar_for_all_classes():
    kernel = np.random.default_rng(5).normal(size=(64, 10))
    fig = make_weight_images(kernel, (8, 8), [str(i) for i in range(10)])
    (bar,) = _bars(fig)
    drawn = [image for image in _images(fig) if image.colorbar is not None]
    assert len(drawn) == 1 and drawn[0].colorbar.ax is bar and drawn[0].get_cmap().name == "RdBu_r"
    assert bar.get_xlim() == pytest.approx((-np.abs(kernel).max(), np.abs(kernel).max()))  # one scale, centred at 0
    assert "red: positive" in bar.get_xlabel() and "blue: negative" in bar.get_xlabel()
    FigureCanvasAgg(fig).draw()  # laid out: the bar lies under the panels, inside the figure
    lowest = min(ax.get_position().y0 for ax in _panels(fig))
    assert bar.get_position().y1 <= lowest and bar.get_position().y0 >= 0


def test_rgb_weights_have_a_key_of_the_three_channel_ramps():
    fig = make_weight_images(np.random.default_rng(6).normal(size=(48, 10)), (4, 4, 3), CLASSES)
    (bar,) = _bars(fig)
    assert [t.get_text() for t in bar.get_xticklabels()] == ["red 0..255", "green 0..255", "blue 0..255"]
    assert "lowest weight" in bar.get_xlabel() and "highest" in bar.get_xlabel()


@pytest.mark.parametrize(("shape", "n"), [((8, 8), 10), ((32, 32, 3), 10), ((28, 28), 100), ((4, 4, 3), 3)])
def test_weights_figure_stays_in_the_column(shape, n):
    from reportgen.figures._style import WIDTH

    fig = make_weight_images(np.random.default_rng(7).normal(size=(int(np.prod(shape)), n)), shape, [f"c{i}" for i in range(n)])
    assert fig.get_size_inches()[0] <= WIDTH + 1e-9


def test_kernel_rows_must_match_the_image():
    with pytest.raises(RenderError, match=r"kernel has 100 rows but an image of shape 32x32x3 has 3072 values"):
        make_weight_images(np.zeros((100, 10)), (32, 32, 3), CLASSES)


def test_class_names_must_match_units():
    with pytest.raises(RenderError, match="10 units but 3 class names"):
        make_weight_images(np.zeros((12, 10)), (2, 2, 3), ["a", "b", "c"])


@pytest.mark.parametrize("shape", [(3072,), (32, 32, 4)])
def test_unsupported_image_shapes(shape):
    with pytest.raises(RenderError, match="expected an image shape"):
        make_weight_images(np.zeros((int(np.prod(shape)), 10)), shape, CLASSES)
