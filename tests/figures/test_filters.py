"""make_filters: one numbered panel per output filter, RGB per-channel scaling, diverging shared scale, colour bars, errors."""

from __future__ import annotations

import numpy as np
import pytest

from reportgen.errors import RenderError
from reportgen.figures import filter_images, make_filters, normalise_per_channel


def _panels(fig):
    return [ax for ax in fig.axes if (ax.get_gid() or "").startswith("filter:")]


@pytest.mark.parametrize(("c_out", "grid"), [(6, (1, 6)), (32, (4, 8)), (64, (4, 16))])
def test_one_numbered_panel_per_output_filter(c_out, grid):
    fig = make_filters(np.random.default_rng(0).normal(size=(3, 3, 3, c_out)))
    panels = _panels(fig)
    assert len(panels) == c_out == len(fig.axes) - 1  # and the colour key
    assert [ax.get_title() for ax in panels] == [str(k) for k in range(1, c_out + 1)]
    assert {ax.get_subplotspec().get_geometry()[:2] for ax in panels} == {grid}
    assert all(len(ax.get_xticks()) == 0 and len(ax.get_yticks()) == 0 for ax in panels)
    assert all(ax.title.get_fontsize() <= 8 for ax in panels)


def test_rgb_filters_are_normalised_per_channel():
    rng = np.random.default_rng(1)
    kernel = rng.normal(size=(3, 3, 3, 4)) * np.array([1e-3, 1.0, 30.0])[None, None, :, None]
    fig = make_filters(kernel)
    for k, ax in enumerate(_panels(fig)):
        drawn = ax.get_images()[0].get_array()
        assert drawn.shape == (3, 3, 3) and drawn.dtype == np.uint8
        assert np.array_equal(drawn, normalise_per_channel(kernel[..., k]))
        for c in range(3):  # every colour channel spans 0..255 on its own, whatever its scale
            assert drawn[..., c].min() == 0 and drawn[..., c].max() == 255


def test_other_input_depths_show_the_mean_in_grey_on_one_symmetric_scale():
    rng = np.random.default_rng(2)
    kernel = rng.normal(size=(5, 5, 16, 10))
    kernel[..., 3] *= 10  # the strongest filter sets the scale for all
    fig = make_filters(kernel, columns=5, title="conv2")
    panels = _panels(fig)
    limit = np.abs(kernel.mean(axis=2)).max()
    for k, ax in enumerate(panels):
        image = ax.get_images()[0]
        np.testing.assert_allclose(image.get_array(), kernel[..., k].mean(axis=2))
        assert image.get_cmap().name == "RdBu_r"  # red positive, blue negative, white 0
        np.testing.assert_allclose(image.get_clim(), (-limit, limit))
    assert {ax.get_subplotspec().get_geometry()[:2] for ax in panels} == {(2, 5)}
    assert fig.get_suptitle() == "conv2"
    assert len(fig.axes) == 11  # the ten filters and their shared colour bar


def test_single_input_channel_is_the_kernel_itself():
    kernel = np.random.default_rng(3).normal(size=(3, 3, 1, 8))
    images = filter_images(kernel)
    assert len(images) == 8 and np.array_equal(images[2], kernel[:, :, 0, 2])
    assert len(_panels(make_filters(kernel))) == 8


def test_unused_cells_are_removed():
    fig = make_filters(np.zeros((3, 3, 3, 10)), columns=4)
    assert len(_panels(fig)) == 10 and len(fig.axes) == 11
    assert {ax.get_subplotspec().get_geometry()[:2] for ax in _panels(fig)} == {(3, 4)}


@pytest.mark.parametrize("shape", [(3, 3, 32), (3, 3), (1, 3, 3, 3, 8)])
def test_kernel_must_be_four_dimensional(shape):
    with pytest.raises(RenderError, match=r"expected a Conv2D kernel of shape \(kh, kw, c_in, c_out\)\. Received shape") as info:
        make_filters(np.zeros(shape))
    assert "\n" not in str(info.value)


def test_bad_values_and_columns():
    with pytest.raises(RenderError, match="NaN or infinite"):
        make_filters(np.full((3, 3, 3, 2), np.nan))
    with pytest.raises(RenderError, match="empty"):
        make_filters(np.zeros((3, 3, 3, 0)))
    with pytest.raises(RenderError, match="expected a positive integer. Received: columns=0"):
        make_filters(np.zeros((3, 3, 3, 2)), columns=0)
