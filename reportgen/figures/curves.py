"""make_curves: training and validation metrics per epoch, one panel per metric, one colour per run."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from ..errors import RenderError
from ._style import FONT, SMALL, WIDTH, new_figure, style_axes

__all__ = ["make_curves"]

_MARKER_EPOCHS = 10  # when no run is longer, every epoch gets a point marker (quick builds, 1-epoch runs)


def make_curves(histories: Mapping[str, Mapping[str, Sequence[float]]], metrics: Sequence[str] = ("loss", "accuracy"),
                phase_ends: Mapping[str, Sequence[int]] | None = None) -> Figure:
    """One panel per metric; per run a solid train line and a dashed `val_<metric>` line in one colour.
    `phase_ends` {run: [epoch, ...]}: where a training phase ended (transfer learning's head phase), a dotted line."""
    if not histories:
        raise RenderError("curves figure: no runs to plot")
    if not metrics:
        raise RenderError("curves figure: no metrics to plot")
    _check_metrics(histories, metrics)
    colours = _colours(len(histories))
    n = len(metrics)
    width = WIDTH if n <= 3 else 2.4 * n
    fig = new_figure(width, 2.6 + _legend_height(histories))
    axes = fig.subplots(1, n, squeeze=False)[0]
    epochs = max(len(h[m]) for h in histories.values() for m in metrics)
    has_validation = False
    for ax, metric in zip(axes, metrics):
        for colour, (name, history) in zip(colours, histories.items()):
            _plot(ax, history[metric], colour, "-", name, epochs)
            if f"val_{metric}" in history:
                has_validation = True
                _plot(ax, history[f"val_{metric}"], colour, "--", None, epochs)
        _decorate(ax, metric, epochs, [history[k] for history in histories.values() for k in (metric, f"val_{metric}") if k in history])
        for colour, name in zip(colours, histories):
            for end in (phase_ends or {}).get(name, ()):
                ax.axvline(end + 0.5, color=colour, linestyle=":", linewidth=1.2)
    _legend(fig, list(histories), colours, has_validation, bool(phase_ends and any(phase_ends.values())))
    return fig


def _check_metrics(histories: Mapping[str, Mapping[str, Sequence[float]]], metrics: Sequence[str]) -> None:
    for name, history in histories.items():
        missing = [m for m in metrics if m not in history]
        if missing:
            available = ", ".join(sorted(history)) or "nothing"
            raise RenderError(f"curves figure: run '{name}' has no '{missing[0]}' in its history; available: {available}")


def _colours(n: int) -> list[tuple[float, ...]]:
    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def _plot(ax: Axes, values: Sequence[float], colour: tuple[float, ...], style: str, label: str | None, epochs: int) -> None:
    y = np.asarray(values, dtype=float)
    x = np.arange(1, len(y) + 1)
    marker = "o" if epochs <= _MARKER_EPOCHS or len(y) == 1 else None
    ax.plot(x, y, linestyle=style, color=colour, linewidth=1.4, marker=marker, markersize=3, label=label)


def _decorate(ax: Axes, metric: str, epochs: int, series: list[Sequence[float]]) -> None:
    style_axes(ax)
    ax.set_xlabel("Epoch", fontsize=FONT)
    ax.set_ylabel(_label(metric), fontsize=FONT)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=8, min_n_ticks=1))
    ax.set_xlim(0.7, max(epochs, 1) + 0.3) if epochs <= _MARKER_EPOCHS else ax.set_xlim(1, epochs)
    if "accuracy" in metric:
        limits = _accuracy_limits(series)
        if limits:
            ax.set_ylim(*limits)


def _label(metric: str) -> str:
    return metric.replace("_", " ").capitalize()


def _accuracy_limits(series: list[Sequence[float]]) -> tuple[float, float] | None:
    """A 0.1-aligned range around the data inside [0, 1], so close runs stay distinguishable."""
    values = np.concatenate([np.asarray(s, dtype=float) for s in series]) if series else np.array([])
    values = values[np.isfinite(values)]
    if values.size == 0 or values.min() < 0 or values.max() > 1:
        return None  # percentages or something else: leave matplotlib's autoscale
    low = max(0.0, math.floor((values.min() - 0.02) * 10) / 10)
    high = min(1.0, math.ceil((values.max() + 0.02) * 10) / 10)
    return low, high + (0.01 if high == 1.0 else 0.0)


def _legend_height(histories: Mapping[str, object]) -> float:
    rows = math.ceil((len(histories) + 2) / _legend_columns(list(histories)))
    return 0.25 + 0.2 * rows


def _legend_columns(names: list[str]) -> int:
    longest = max(len(n) for n in [*names, "validation"])
    return max(1, min(len(names) + 2, int(90 // (longest + 5))))


def _legend(fig: Figure, names: list[str], colours: list[tuple[float, ...]], has_validation: bool, phases: bool = False) -> None:
    """Runs by colour, then the line-style key, in one legend below the panels."""
    handles = [Line2D([], [], color=c, linewidth=2.0) for c in colours]
    labels = list(names)
    handles.append(Line2D([], [], color="0.35", linestyle="-", linewidth=1.4))
    labels.append("train")
    if has_validation:
        handles.append(Line2D([], [], color="0.35", linestyle="--", linewidth=1.4))
        labels.append("validation")
    if phases:
        handles.append(Line2D([], [], color="0.35", linestyle=":", linewidth=1.2))
        labels.append("fine-tuning starts")
    fig.legend(handles, labels, loc="outside lower center", ncols=_legend_columns(names), fontsize=SMALL,
               frameon=False, handlelength=2.4, columnspacing=1.4)
