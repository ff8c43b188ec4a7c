"""make_reconstructions: test images in a row, with labelled rows (noisy inputs, reconstructions) aligned under them."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import text_to_path

from ..errors import RenderError
from ._style import SMALL, WIDTH

__all__ = ["make_reconstructions", "panel_images"]

_MAX_CELL = 1.0  # inches: a handful of images stays a row of thumbnails, not posters
_MIN_CELL = 0.1  # inches: narrower panels mean the labels took the page
_GAP = 0.03  # inches between panels, across and down
_LABEL_GAP = 0.08  # inches between a row's label and its first image
_MAX_LABEL = 1.5  # inches: longer labels wrap onto further lines, as many as fit in a row's height
_MAX_LINES = 3
_LINE = 1.2 * SMALL / 72  # inches: the height of one line of a label
_HINTING = 1.05  # rendered text is up to this much wider than its outline
_FLOAT_SLACK = 0.5  # float images may overshoot [0, 1] by this much (a linear decoder) before we call them 0..255 data


def make_reconstructions(originals: np.ndarray, rows: Sequence[tuple[str, np.ndarray]], columns: int | None = None) -> Figure:
    """One column per test image: the original on top (row "original"), then one labelled row per entry of `rows`.

    `originals` has shape (n, H, W), (n, H, W, 1) or (n, H, W, 3); each row holds the same n images, in that shape or
    as one flat vector of H*W*C values per image (e.g. a dense decoder's output). uint8 (and other integer) images are
    0..255, float images 0..1 (clipped to it for display). `columns` shows only the first `columns` images. Image j of
    every row sits in column j, all panels are the same size, and each panel's axes carry the gid "row:column", with
    row 0 the originals (see `panel_images`). Grey images use the "gray" colour map on a fixed 0..1 scale.
    """
    base = _images(originals, "the originals")
    n, shape = base.shape[0], base.shape[1:]
    if n == 0:
        raise RenderError(f"reconstructions figure: no images to show. Received originals of shape {np.shape(originals)}")
    if columns is not None and (isinstance(columns, bool) or not isinstance(columns, int) or columns < 1):
        raise RenderError(f"reconstructions figure: expected a positive integer. Received: columns={columns!r}")
    grid = [("original", base)] + [_row(entry, i, n, shape) for i, entry in enumerate(_entries(rows))]
    cols = min(n, columns or n)
    max_lines = _MAX_LINES
    while True:  # wrapped labels widen the label column, which shrinks the rows, which may hold fewer lines
        labels = [_wrap(label, max_lines) for label, _ in grid]
        label_width = max(_text_width(line) for label in labels for line in label.split("\n")) + _LABEL_GAP
        cell = min((WIDTH - label_width - (cols - 1) * _GAP) / cols, _MAX_CELL)
        panel = cell * shape[0] / shape[1]
        fits = max(1, math.floor((panel + _GAP) / _LINE))
        if max_lines <= fits or max(label.count("\n") + 1 for label in labels) <= fits:
            break
        max_lines = fits
    if cell < _MIN_CELL:
        longest = max((label for label, _ in grid), key=_text_width)
        raise RenderError(f"reconstructions figure: the row labels leave no room for {cols} images across the page. "
                          f"Received a label {_text_width(longest):.1f} inches wide: '{longest}'")
    width = label_width + cols * cell + (cols - 1) * _GAP
    height = len(grid) * panel + (len(grid) - 1) * _GAP
    # Laid out by hand, in inches from the top left, so every panel has one size and column j one x position.
    fig = Figure(figsize=(width, height))
    for r, ((_, images), label) in enumerate(zip(grid, labels)):
        y = r * (panel + _GAP)
        fig.text((label_width - _LABEL_GAP) / width, 1 - (y + panel / 2) / height, label, fontsize=SMALL,
                 ha="right", va="center", ma="right", gid=f"label:{r}")
        for j in range(cols):
            ax = _place(fig, label_width + j * (cell + _GAP), y, cell, panel)
            _draw(ax, _display(images[j]), f"{r}:{j}")
    return fig


def panel_images(fig: Figure) -> dict[tuple[int, int], np.ndarray]:
    """{(row, column): the array drawn in that panel}, row 0 being the originals."""
    found = {}
    for ax in fig.get_axes():
        row, _, col = (ax.get_gid() or "").partition(":")
        if row.isdigit() and col.isdigit() and ax.get_images():
            found[int(row), int(col)] = np.asarray(ax.get_images()[0].get_array())
    return found


def _place(fig: Figure, x: float, y: float, width: float, height: float) -> Axes:
    """Axes at x inches from the left and y inches from the top of fig."""
    fig_width, fig_height = fig.get_size_inches()
    return fig.add_axes((x / fig_width, 1 - (y + height) / fig_height, width / fig_width, height / fig_height))


def _draw(ax: Axes, image: np.ndarray, gid: str) -> None:
    if image.ndim == 2:
        ax.imshow(image, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest", aspect="auto")
    else:
        ax.imshow(image, interpolation="nearest", aspect="auto")
    ax.set_gid(gid)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def _display(image: np.ndarray) -> np.ndarray:
    """One image as floats in 0..1: (H, W) for grey, (H, W, 3) for colour."""
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if np.issubdtype(image.dtype, np.integer):
        return np.clip(image.astype(np.float64), 0, 255) / 255.0
    return np.clip(image.astype(np.float64), 0.0, 1.0)


def _images(data: np.ndarray, what: str) -> np.ndarray:
    """Check the originals: (n, H, W), (n, H, W, 1) or (n, H, W, 3) of finite real numbers."""
    array = np.asarray(data)
    if array.ndim not in (3, 4) or (array.ndim == 4 and array.shape[3] not in (1, 3)) or min(array.shape[1:], default=0) < 1:
        raise RenderError(f"reconstructions figure: expected {what} as images of shape (n, H, W), (n, H, W, 1) or "
                          f"(n, H, W, 3). Received shape {array.shape}")
    _check_values(array, what)
    return array


def _check_values(array: np.ndarray, what: str) -> None:
    if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.complexfloating):
        raise RenderError(f"reconstructions figure: expected {what} to hold real numbers. Received dtype {array.dtype}")
    if array.size == 0 or np.issubdtype(array.dtype, np.integer):
        return
    if not np.all(np.isfinite(array)):
        raise RenderError(f"reconstructions figure: {what} hold NaN or infinite values")
    low, high = float(array.min()), float(array.max())
    if low < -_FLOAT_SLACK or high > 1 + _FLOAT_SLACK:
        raise RenderError(f"reconstructions figure: expected {what} as floats in [0, 1] (or uint8 in 0..255). "
                          f"Received values from {low:g} to {high:g}")


def _entries(rows: Sequence[tuple[str, np.ndarray]]) -> list[tuple[str, np.ndarray]]:
    if isinstance(rows, (str, bytes, np.ndarray)) or not isinstance(rows, Sequence):
        raise RenderError(f"reconstructions figure: expected rows as a list of (label, images) pairs. "
                          f"Received {type(rows).__name__}")
    for i, entry in enumerate(rows):
        if not isinstance(entry, (tuple, list)) or len(entry) != 2 or not isinstance(entry[0], str):
            raise RenderError(f"reconstructions figure: expected row {i + 1} as a (label, images) pair. "
                              f"Received {type(entry).__name__}")
    return list(rows)


def _row(entry: tuple[str, np.ndarray], index: int, n: int, shape: tuple[int, ...]) -> tuple[str, np.ndarray]:
    """A row's images reshaped to the originals' image shape, after checking count and size."""
    label, data = entry
    array = np.asarray(data)
    size = math.prod(shape)
    if array.ndim < 1 or array.shape[0] != n:
        count = array.shape[0] if array.ndim else "no"
        raise RenderError(f"reconstructions figure: row '{label}' has {count} images but there are {n} originals")
    per_image = math.prod(array.shape[1:])
    if per_image != size:
        raise RenderError(f"reconstructions figure: row '{label}' has images of shape {array.shape[1:]} ({per_image} "
                          f"values) but the originals have shape {shape} ({size} values)")
    _check_values(array, f"the images of row '{label}'")
    return label, array.reshape((n, *shape))


def _wrap(label: str, max_lines: int) -> str:
    """label on one line if under _MAX_LABEL inches, else on the fewest lines (at most max_lines) that are.

    When no wrapping into max_lines lines is that narrow, the narrowest one there is.
    """
    words = " ".join(label.split())
    if not words:
        return ""
    options = {}  # lines -> the narrowest wrapping into that many lines: (width in inches, text)
    for chars in range(len(words), 0, -1):
        lines = textwrap.wrap(words, chars, break_long_words=False) or [""]
        if len(lines) > max_lines:
            break
        width = max(_text_width(line) for line in lines)
        if len(lines) not in options or width < options[len(lines)][0]:
            options[len(lines)] = (width, "\n".join(lines))
    fitting = [options[k] for k in sorted(options) if options[k][0] <= _MAX_LABEL]
    return (fitting[0] if fitting else min(options.values()))[1]


def _text_width(text: str) -> float:
    """Width in inches of text drawn at SMALL points: the glyphs' outline width (no renderer needed), plus the up to
    4% that hinting adds when Agg draws it at 150 dpi."""
    if not text:
        return 0.0
    width, _, _ = text_to_path.get_text_width_height_descent(text, FontProperties(size=SMALL), ismath=False)
    return width * _HINTING / 72.0
