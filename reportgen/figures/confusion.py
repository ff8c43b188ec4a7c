"""make_confusion: a confusion matrix of test labels against predictions, with annotated cells."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from ..errors import RenderError
from ._style import FONT, SMALL, TINY, WIDTH, new_figure

__all__ = ["confusion_counts", "make_confusion"]

_CMAP = "Blues"
_ANNOTATE_UP_TO = 30  # more classes than this: cells are too small for numbers
_BAR = 0.9  # inches to the right of the matrix for its colour bar, ticks and label (about 0.8), and some to spare
_BAR_BOUNDS = (1.03, 0.0, 0.035, 1.0)  # the colour bar in the matrix's axes coordinates: exactly the matrix's height


def confusion_counts(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """counts[i, j] = how many samples of true class i were predicted as j (sklearn's layout)."""
    true, pred = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
    if true.shape != pred.shape:
        raise RenderError(f"confusion figure: {true.size} true labels but {pred.size} predictions")
    for what, labels in (("true", true), ("predicted", pred)):
        if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
            raise RenderError(f"confusion figure: {what} labels range over {labels.min()}..{labels.max()} "
                              f"but there are {n_classes} class names")
    return np.bincount(true * n_classes + pred, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def make_confusion(y_true: np.ndarray, y_pred: np.ndarray, class_names: Sequence[str], normalize: bool = False) -> Figure:
    """Rows are true classes, columns predictions; counts, or fractions of each true class if normalize."""
    names = [str(c) for c in class_names]
    k = len(names)
    if k == 0:
        raise RenderError("confusion figure: no class names")
    counts = confusion_counts(y_true, y_pred, k)
    values = _row_fractions(counts) if normalize else counts.astype(float)
    fig = new_figure(*_size(names))
    ax = fig.subplots()
    norm = Normalize(vmin=0.0, vmax=1.0 if normalize else max(float(values.max()), 1.0))
    image = ax.imshow(values, cmap=_CMAP, norm=norm, interpolation="nearest")
    ax.set_anchor("W")  # the square matrix at the left of its layout box: the room it leaves is on the colour bar's side
    if k <= _ANNOTATE_UP_TO:
        _annotate(ax, values, norm, normalize, k)
    ticks = np.arange(k)
    rotate = max(len(n) for n in names) > 3 and k > 2
    ax.set_xticks(ticks, names, fontsize=SMALL, rotation=45 if rotate else 0, ha="right" if rotate else "center",
                  rotation_mode="anchor")
    ax.set_yticks(ticks, names, fontsize=SMALL)
    ax.set_xlabel("Predicted class", fontsize=FONT)
    ax.set_ylabel("True class", fontsize=FONT)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    # In the matrix's own axes coordinates, so the bar keeps exactly the height of the (square, fixed-aspect) matrix
    # whatever the layout makes of it; a bar beside the axes' layout box would not.
    bar = fig.colorbar(image, cax=ax.inset_axes(_BAR_BOUNDS))
    bar.ax.set_gid("colorbar")
    bar.ax.tick_params(labelsize=SMALL)
    bar.outline.set_visible(False)
    bar.set_label("fraction of true class" if normalize else "test samples", fontsize=SMALL)
    return fig


def _size(names: list[str]) -> tuple[float, float]:
    """Width and height (inches) for a square matrix of about 0.34 inch a class (10 classes: 5 inches tall), with room
    for its class names, axis labels and colour bar, and never wider than the column: a matrix too big for it is made
    smaller, so it stays limited by its height and its colour bar and labels stay inside the figure."""
    k, longest = len(names), max(len(n) for n in names)
    rotate = longest > 3 and k > 2
    left = 0.3 + 0.065 * longest  # the y label and the class names
    bottom = 0.25 + (0.06 * 0.71 * longest if rotate else 0.15)  # the x label and the (45 degree) class names, at least
    height = max(3.2, 0.34 * k + 1.6)
    side = min(height - bottom - 0.1, WIDTH - left - _BAR - 0.1)
    return min(WIDTH, left + side + _BAR + 0.1), side + bottom + 0.1


def _labels(y: np.ndarray, what: str) -> np.ndarray:
    """Integer class indices; one-hot or probability rows are reduced with argmax."""
    array = np.asarray(y)
    if array.ndim == 2:
        array = array.argmax(axis=1)
    if array.ndim != 1:
        raise RenderError(f"confusion figure: {what} must be a 1-D array of class indices. Received shape {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer) and not np.all(np.mod(array, 1) == 0):
        raise RenderError(f"confusion figure: {what} must hold integer class indices. Received {array.dtype} values")
    return array.astype(np.int64)


def _row_fractions(counts: np.ndarray) -> np.ndarray:
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, totals, out=np.zeros(counts.shape, dtype=float), where=totals > 0)


def _annotate(ax: Axes, values: np.ndarray, norm: Normalize, normalize: bool, k: int) -> None:
    """Each cell's value in black or white, whichever contrasts with the cell colour; zeros fade out."""
    cmap = colormaps[_CMAP]
    size = max(TINY - 1.5, min(SMALL, 75.0 / k))
    for (i, j), value in np.ndenumerate(values):
        r, g, b, _ = cmap(norm(value))
        dark = 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5
        text = f"{value:.2f}" if normalize else f"{int(value)}"
        colour = "0.75" if value == 0 else "white" if dark else "black"
        text = "0" if value == 0 else text
        ax.text(j, i, text, ha="center", va="center", fontsize=size, color=colour)
