"""make_filters: every output filter of a Conv2D kernel as a small image in a numbered grid."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..errors import RenderError
from ._style import FONT, SMALL, TINY, WIDTH, new_figure
from .weights import DIVERGING, channel_key, colour_bar, normalise_per_channel

__all__ = ["filter_images", "make_filters"]

_CMAP = DIVERGING
_MAX_CELL = 0.9  # inches: a handful of filters stay thumbnails, not posters
_TITLE = 0.16  # inches above each filter for its number


def filter_images(kernel: np.ndarray) -> list[np.ndarray]:
    """What make_filters draws for each output filter: RGB uint8 if c_in == 3, else the float mean over c_in."""
    kernel = _check_kernel(kernel)
    if kernel.shape[2] == 3:
        return [normalise_per_channel(kernel[..., k]) for k in range(kernel.shape[3])]
    means = kernel.mean(axis=2)
    return [means[..., k] for k in range(kernel.shape[3])]


def make_filters(kernel: np.ndarray, columns: int | None = None, title: str | None = None) -> Figure:
    """One panel per output filter of a (kh, kw, c_in, c_out) kernel, titled 1..c_out (axes gid "filter:k").

    With 3 input channels each filter is an RGB image, each colour channel min-max scaled to 0..255 on its own
    (`normalise_per_channel`, as for the weights figure), and a colour key says so. Otherwise each filter is the mean
    of its c_in slices on ONE symmetric diverging scale shared by all filters (-m..m, m the largest |mean|): red is
    positive, blue negative, white 0, so strong and weak filters, and positive and negative weights, can be compared
    across the grid; a colour bar gives m.
    """
    images = filter_images(kernel)
    kh, kw, c_in, n = np.shape(kernel)
    if columns is not None and (isinstance(columns, bool) or not isinstance(columns, int) or columns < 1):
        raise RenderError(f"filters figure: expected a positive integer. Received: columns={columns!r}")
    cols = min(columns or _columns(n), n)
    rows = math.ceil(n / cols)
    grey = c_in != 3
    cell = min(WIDTH / cols, _MAX_CELL)
    title_size = SMALL if cols <= 8 else TINY
    height = rows * (cell * kh / kw + _TITLE) + (0.3 if title else 0.0) + 0.45
    fig = new_figure(cell * cols, height)
    fig.get_layout_engine().set(w_pad=0.02, h_pad=0.02, wspace=0.05, hspace=0.05)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    limit = max((float(np.abs(image).max()) for image in images), default=0.0) or 1.0
    drawn = None
    for k, ax in enumerate(axes):
        if k >= n:
            ax.remove()
            continue
        if grey:
            drawn = ax.imshow(images[k], cmap=_CMAP, vmin=-limit, vmax=limit, interpolation="nearest")
        else:
            ax.imshow(images[k], interpolation="nearest")
        ax.set_gid(f"filter:{k + 1}")
        _decorate(ax, str(k + 1), title_size)
    if grey and drawn is not None:
        what = "weight" if c_in == 1 else f"mean weight over the {c_in} input channels"
        colour_bar(fig, axes[:n].tolist(), drawn, cell * cols, f"{what} (red: positive, blue: negative, white: 0)")
    else:
        channel_key(fig, axes[:n].tolist(), cell * cols, "each channel of each filter on its own scale: dark = its lowest "
                                                         "weight, full colour = its highest")
    if title:
        fig.suptitle(title, fontsize=FONT)
    return fig


def _decorate(ax: Axes, label: str, size: float) -> None:
    ax.set_title(label, fontsize=size, pad=2)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linewidth(0.4)
        spine.set_color("0.6")


def _columns(n: int) -> int:
    """All in one row up to 8 filters, 8 columns up to 32 (32 -> 4 rows), then 16 (64 -> 4 rows of 1 cm filters)."""
    return n if n <= 8 else 8 if n <= 32 else 16


def _check_kernel(kernel: np.ndarray) -> np.ndarray:
    array = np.asarray(kernel)
    if array.ndim != 4:
        raise RenderError(f"filters figure: expected a Conv2D kernel of shape (kh, kw, c_in, c_out). Received shape {array.shape}")
    if min(array.shape) < 1:
        raise RenderError(f"filters figure: the kernel is empty. Received shape {array.shape}")
    if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.complexfloating):
        raise RenderError(f"filters figure: expected a kernel of real numbers. Received dtype {array.dtype}")
    if not np.all(np.isfinite(array)):
        raise RenderError("filters figure: the kernel contains NaN or infinite values; did training diverge?")
    return array.astype(np.float64, copy=False)
