"""make_reconstructions: each panel shows its image, columns line up across rows, flat rows are reshaped, errors."""

from __future__ import annotations

import numpy as np
import pytest

from reportgen.errors import RenderError
from reportgen.figures._style import WIDTH
from reportgen.figures.reconstructions import make_reconstructions, panel_images
from reportgen.figures.save import save_figure


def _digits(n: int = 10, size: int = 28, seed: int = 0) -> np.ndarray:
    """n uint8 grey images, image j a bright square whose position depends on j (so every column differs)."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 40, size=(n, size, size), dtype=np.uint8)
    for j in range(n):
        top, left = 2 + j % 5 * 4, 2 + j // 5 * 10
        images[j, top:top + 8, left:left + 8] = 255
    return images


def _boxes(fig):
    """{(row, column): (x0, y0, x1, y1) in inches} of every image panel."""
    width, height = fig.get_size_inches()
    return {tuple(map(int, ax.get_gid().split(":"))): np.array(ax.get_position().extents) * [width, height, width, height]
            for ax in fig.axes}


def test_every_panel_shows_exactly_its_image_scaled_to_zero_one():
    originals = _digits(8)
    rng = np.random.default_rng(1)
    noisy = np.clip(originals.astype(int) + rng.integers(-60, 60, originals.shape), 0, 255).astype(np.uint8)
    recon = rng.random((8, 28 * 28)).astype(np.float32)  # flat, as a dense decoder returns it
    fig = make_reconstructions(originals, [("noisy input (dae)", noisy), ("reconstruction (dae)", recon)])
    drawn = panel_images(fig)
    assert sorted(drawn) == [(r, j) for r in range(3) for j in range(8)]
    for j in range(8):
        np.testing.assert_allclose(drawn[0, j], originals[j] / 255.0)
        np.testing.assert_allclose(drawn[1, j], noisy[j] / 255.0)
        np.testing.assert_allclose(drawn[2, j], recon[j].reshape(28, 28), rtol=1e-6)
    images = [ax.get_images()[0] for ax in fig.axes]
    assert all(im.get_cmap().name == "gray" and im.get_clim() == (0.0, 1.0) for im in images)
    assert all(len(ax.get_xticks()) == 0 and len(ax.get_yticks()) == 0 for ax in fig.axes)


def test_same_image_same_column_and_all_panels_one_size():
    originals = _digits(10)
    rows = [("noisy", originals), ("reconstruction", originals / 255.0)]
    fig = make_reconstructions(originals, rows)
    boxes = _boxes(fig)
    width, height = fig.get_size_inches()
    assert width == pytest.approx(WIDTH)
    for j in range(10):
        lefts = {round(boxes[r, j][0], 9) for r in range(3)}
        rights = {round(boxes[r, j][2], 9) for r in range(3)}
        assert len(lefts) == 1 and len(rights) == 1, f"column {j} is not aligned"
    for r in range(3):
        xs = [boxes[r, j][0] for j in range(10)]
        assert xs == sorted(xs) and len(set(np.round(xs, 9))) == 10, "columns must run left to right in order"
        assert len({round(boxes[r, j][1], 9) for j in range(10)}) == 1, f"row {r} is not level"
    tops = [boxes[r, 0][3] for r in range(3)]
    assert tops[0] > tops[1] > tops[2], "originals on top, then the rows in the order given"
    sizes = np.array([b[2:] - b[:2] for b in boxes.values()])
    assert np.allclose(sizes, sizes[0]) and sizes[0, 0] == pytest.approx(sizes[0, 1]) and sizes[0, 0] > 0.4
    flat = np.array(list(boxes.values()))
    for i, a in enumerate(flat):
        others = flat[i + 1:]
        overlap = (np.minimum(a[2], others[:, 2]) > np.maximum(a[0], others[:, 0]) + 1e-9) & \
                  (np.minimum(a[3], others[:, 3]) > np.maximum(a[1], others[:, 1]) + 1e-9)
        assert not overlap.any()


def test_row_labels_sit_left_of_their_row_right_aligned():
    originals = _digits(6)
    fig = make_reconstructions(originals, [("noisy input (dae)", originals), ("reconstruction (dae)", originals)])
    assert [t.get_text() for t in fig.texts] == ["original", "noisy input (dae)", "reconstruction (dae)"]
    assert all(t.get_ha() == "right" and t.get_fontsize() >= 6.5 for t in fig.texts)
    boxes = _boxes(fig)
    width, height = fig.get_size_inches()
    for r, text in enumerate(fig.texts):
        x, y = text.get_position()
        assert text.get_gid() == f"label:{r}"
        assert x * width <= boxes[r, 0][0], "the label ends left of the first image"
        assert boxes[r, 0][1] < y * height < boxes[r, 0][3], "the label is level with its row"
    # The labels fit in the figure: measured against the first panel, none reaches past the left edge.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    fig.set_dpi(150)  # save_figure's resolution: hinting makes text a little wider than at 100 dpi
    renderer = FigureCanvasAgg(fig).get_renderer()
    for text in fig.texts:
        extent = text.get_window_extent(renderer)
        assert extent.x0 >= 0 and extent.x1 <= boxes[0, 0][0] * fig.dpi


def test_a_long_label_wraps_instead_of_squeezing_the_images():
    originals = _digits(10)
    label = "reconstruction by the convolutional denoising autoencoder"
    fig = make_reconstructions(originals, [(label, originals)])
    text = fig.texts[1].get_text()
    assert "\n" in text and text.replace("\n", " ") == label
    assert _boxes(fig)[0, 0][2] - _boxes(fig)[0, 0][0] > 0.4


def test_columns_shows_the_first_images_only():
    originals = _digits(10)
    recon = originals[..., np.newaxis] / 255.0
    fig = make_reconstructions(originals, [("reconstruction", recon)], columns=4)
    drawn = panel_images(fig)
    assert sorted(drawn) == [(r, j) for r in range(2) for j in range(4)]
    for j in range(4):
        np.testing.assert_allclose(drawn[1, j], originals[j] / 255.0)
    assert len(make_reconstructions(originals, [], columns=50).axes) == 10


def test_colour_and_channel_last_grey_images():
    rng = np.random.default_rng(3)
    colour = rng.integers(0, 256, (5, 32, 32, 3), dtype=np.uint8)
    recon = rng.random((5, 32 * 32 * 3))
    drawn = panel_images(make_reconstructions(colour, [("reconstruction", recon)]))
    assert drawn[0, 2].shape == (32, 32, 3)
    np.testing.assert_allclose(drawn[0, 2], colour[2] / 255.0)
    np.testing.assert_allclose(drawn[1, 4], recon[4].reshape(32, 32, 3))
    grey = rng.random((3, 28, 28, 1))
    fig = make_reconstructions(grey, [("same", grey[..., 0])])
    assert panel_images(fig)[1, 0].shape == (28, 28)
    assert fig.axes[0].get_images()[0].get_cmap().name == "gray"


def test_float_rows_are_clipped_to_zero_one():
    originals = _digits(2)
    recon = np.full((2, 28, 28), 0.5)
    recon[0, 0, 0], recon[0, 0, 1] = -0.2, 1.3  # a linear decoder overshoots a little
    drawn = panel_images(make_reconstructions(originals, [("reconstruction", recon)]))
    assert drawn[1, 0][0, 0] == 0.0 and drawn[1, 0][0, 1] == 1.0 and drawn[1, 0][5, 5] == 0.5


def test_non_square_images_keep_their_aspect_and_flat_rows_fill_them_row_by_row():
    originals = np.zeros((4, 20, 40), dtype=np.uint8)
    flat = np.random.default_rng(5).random((4, 800))
    fig = make_reconstructions(originals, [("r", flat)])
    box = _boxes(fig)[1, 3]
    assert (box[2] - box[0]) == pytest.approx(2 * (box[3] - box[1]))
    np.testing.assert_array_equal(panel_images(fig)[1, 3], flat[3].reshape(20, 40))


def test_figure_saves_to_png(tmp_path):
    originals = _digits(10)
    fig = make_reconstructions(originals, [("noisy input (dae)", originals), ("reconstruction (dae)", originals / 255.0)])
    path = save_figure(fig, tmp_path / "reconstructions.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 2000


def test_errors_are_one_line_and_say_what_was_received():
    originals = _digits(4)
    cases = [
        (lambda: make_reconstructions(np.zeros((0, 28, 28), np.uint8), []), r"no images to show"),
        (lambda: make_reconstructions(originals, [("noisy", originals[:3])]),
         r"row 'noisy' has 3 images but there are 4 originals"),
        (lambda: make_reconstructions(originals, [("recon", np.zeros((4, 27 * 28)))]),
         r"row 'recon' has images of shape \(756,\) \(756 values\) but the originals have shape \(28, 28\) \(784 values\)"),
        (lambda: make_reconstructions(originals.reshape(4, -1), []),
         r"expected the originals as images of shape \(n, H, W\).* Received shape \(4, 784\)"),
        (lambda: make_reconstructions(np.zeros((4, 8, 8, 2)), []), r"Received shape \(4, 8, 8, 2\)"),
        (lambda: make_reconstructions(originals, [("recon", originals * 1.0)]),
         r"expected the images of row 'recon' as floats in \[0, 1\] \(or uint8 in 0..255\). Received values from 0 to 255"),
        (lambda: make_reconstructions(originals, [("recon", np.full((4, 28, 28), np.nan))]), r"row 'recon' hold NaN"),
        (lambda: make_reconstructions(originals, [originals]), r"expected row 1 as a \(label, images\) pair"),
        (lambda: make_reconstructions(originals, [], columns=0), r"expected a positive integer. Received: columns=0"),
    ]
    for call, message in cases:
        with pytest.raises(RenderError, match=message) as info:
            call()
        assert str(info.value).startswith("reconstructions figure: ") and "\n" not in str(info.value)


def test_labels_of_short_rows_stay_on_one_line_and_do_not_overlap():
    """20 colour images across the page make rows about 0.2 inches tall: a long label may not wrap into its neighbours."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    originals = np.random.default_rng(4).integers(0, 256, (20, 32, 32, 3), dtype=np.uint8)
    label = "reconstruction by the convolutional denoising autoencoder"
    fig = make_reconstructions(originals, [(label, originals), ("noisy", originals), ("", originals)])
    assert [t.get_text() for t in fig.texts] == ["original", label, "noisy", ""]
    fig.set_dpi(150)
    renderer = FigureCanvasAgg(fig).get_renderer()
    extents = [t.get_window_extent(renderer) for t in fig.texts[:3]]
    for upper, lower in zip(extents, extents[1:]):
        assert upper.y0 >= lower.y1 - 0.5, "neighbouring labels overlap"
    assert extents[1].x0 >= 0, "the long label runs off the page"


def test_labels_too_long_for_the_page_are_an_error():
    originals = _digits(20)
    with pytest.raises(RenderError, match=r"the row labels leave no room for 20 images across the page. Received a label"):
        make_reconstructions(originals, [("x" * 120, originals)])
