"""make_weight_images and normalise_per_channel: per-channel scaling, the grid, shape errors."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import CLASSES

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


def _images(fig):
    return [ax.get_images()[0] for ax in fig.axes if ax.get_images()]


def test_one_titled_rgb_image_per_class_in_a_five_by_two_grid():
    kernel = np.random.default_rng(2).normal(size=(32 * 32 * 3, 10))
    fig = make_weight_images(kernel, (32, 32, 3), CLASSES)
    images = _images(fig)
    assert len(images) == 10 == len(fig.axes)
    assert [ax.get_title() for ax in fig.axes] == CLASSES
    assert {ax.get_subplotspec().get_geometry()[:2] for ax in fig.axes} == {(2, 5)}
    first = images[0].get_array()
    assert first.shape == (32, 32, 3) and first.dtype == np.uint8
    assert np.array_equal(first, normalise_per_channel(kernel[:, 0].reshape(32, 32, 3)))
    assert all(len(ax.get_xticks()) == 0 and len(ax.get_yticks()) == 0 for ax in fig.axes)


def test_columns_option_and_unused_cells_removed():
    kernel = np.random.default_rng(3).normal(size=(12, 7))
    fig = make_weight_images(kernel, (4, 3), list("abcdefg"), columns=3)
    assert len(fig.axes) == 7
    assert {ax.get_subplotspec().get_geometry()[:2] for ax in fig.axes} == {(3, 3)}


@pytest.mark.parametrize("shape", [(8, 8), (8, 8, 1)])
def test_single_channel_is_grey(shape):
    fig = make_weight_images(np.random.default_rng(4).normal(size=(64, 10)), shape, [str(i) for i in range(10)])
    image = _images(fig)[0]
    assert image.get_array().shape == (8, 8) and image.get_cmap().name == "gray"


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
