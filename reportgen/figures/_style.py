"""Shared figure sizes and font sizes, chosen for a 16 cm wide A4 report column."""

from __future__ import annotations

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["FONT", "SMALL", "TINY", "WIDTH", "new_figure", "style_axes"]

WIDTH = 6.3  # inches: the 16 cm text width of an A4 report
FONT = 9.0  # axis labels and titles, in points at print size
SMALL = 8.0  # tick labels, legends, cell annotations
TINY = 6.5  # the smallest text we ever draw

# Run names, titles and captions are user text: drawn as written, never parsed as TeX (`$\\sum...$` is no work for us).
matplotlib.rcParams["text.parse_math"] = False


def new_figure(width: float, height: float) -> Figure:
    """A pyplot-free Figure with constrained layout (thread-safe, no backend needed until saving)."""
    return Figure(figsize=(width, height), layout="constrained")


def style_axes(ax: Axes, grid: bool = True) -> None:
    """Readable ticks, a light grid behind the data and no top/right frame."""
    ax.tick_params(labelsize=SMALL)
    ax.spines[["top", "right"]].set_visible(False)
    if grid:
        ax.grid(True, color="0.88", linewidth=0.6)
        ax.set_axisbelow(True)
