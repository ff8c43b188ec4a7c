"""make_codes: learnt codes projected to 2-D (PCA or t-SNE) as a scatter coloured by class, legend beside it."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..errors import RenderError
from ._style import FONT, SMALL, WIDTH, new_figure, style_axes

__all__ = ["class_colours", "make_codes"]

_AXIS_NAMES = {"pca": "PCA", "tsne": "t-SNE", "t-sne": "t-SNE"}
_ALPHA = 0.7
_LEGEND_ROWS = 16  # more classes than this: the legend gets a second column


def class_colours(n_classes: int) -> np.ndarray:
    """RGBA per class: tab10 up to 10 classes, tab20 up to 20, then tab20 again (colours repeat)."""
    cmap = colormaps["tab10" if n_classes <= 10 else "tab20"]
    return np.array([cmap(k % cmap.N) for k in range(n_classes)])


def make_codes(points: np.ndarray, labels: np.ndarray, class_names: Sequence[str], method: str) -> Figure:
    """Point i at points[i], coloured by the class labels[i]; axes "PCA 1"/"PCA 2" or "t-SNE 1"/"t-SNE 2".

    All points are one scatter drawn in a fixed shuffled order, so no class is painted over the others just because
    its index is higher; the legend beside the axes names every class, in class order, with its colour.
    """
    xy, y, names, axis = _check(points, labels, class_names, method)
    colours = class_colours(len(names))
    order = np.random.default_rng(0).permutation(len(y))
    fig = new_figure(WIDTH * 0.75, WIDTH * 0.6)
    ax = fig.subplots()
    size = 14.0 if len(y) <= 500 else 7.0 if len(y) <= 3000 else 3.0
    ax.scatter(xy[order, 0], xy[order, 1], s=size, c=colours[y[order]], alpha=_ALPHA, linewidths=0, gid="codes",
               rasterized=len(y) > 3000)
    style_axes(ax)
    ax.set_xlabel(f"{axis} 1", fontsize=FONT)
    ax.set_ylabel(f"{axis} 2", fontsize=FONT)
    handles = [Line2D([], [], linestyle="none", marker="o", markersize=5, markerfacecolor=colour, markeredgewidth=0,
                      label=name) for name, colour in zip(names, colours)]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, frameon=False,
              fontsize=SMALL, ncols=math.ceil(len(names) / _LEGEND_ROWS), handletextpad=0.3, labelspacing=0.4)
    return fig


def _check(points: np.ndarray, labels: np.ndarray, class_names: Sequence[str], method: str):
    xy, y = np.asarray(points), np.asarray(labels)
    names = [str(c) for c in class_names]
    if not isinstance(method, str) or method.lower() not in _AXIS_NAMES:
        raise RenderError(f"codes figure: expected method 'pca' or 'tsne'. Received: method={method!r}")
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise RenderError(f"codes figure: expected points of shape (n, 2), one 2-D position per code. Received shape {xy.shape}")
    if not np.issubdtype(xy.dtype, np.number) or np.issubdtype(xy.dtype, np.complexfloating) or not np.all(np.isfinite(xy)):
        raise RenderError(f"codes figure: the points must be finite real numbers. Received dtype {xy.dtype}"
                          + (" with NaN or infinite values" if np.issubdtype(xy.dtype, np.floating) else ""))
    if y.ndim != 1 or y.shape[0] != xy.shape[0]:
        raise RenderError(f"codes figure: expected labels of shape ({xy.shape[0]},), one class index per point. "
                          f"Received shape {y.shape}")
    if xy.shape[0] == 0:
        raise RenderError("codes figure: no points to show")
    if not names:
        raise RenderError("codes figure: no class names")
    if not np.issubdtype(y.dtype, np.integer) and not (np.issubdtype(y.dtype, np.floating) and np.all(np.mod(y, 1) == 0)):
        raise RenderError(f"codes figure: expected integer class indices as labels. Received dtype {y.dtype}")
    y = y.astype(np.int64)
    if y.min() < 0 or y.max() >= len(names):
        raise RenderError(f"codes figure: labels range over {y.min()}..{y.max()} but there are {len(names)} class names")
    return xy.astype(np.float64), y, names, _AXIS_NAMES[method.lower()]
