"""make_curves: training and validation metrics per epoch, one panel per metric, one colour per run."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..errors import RenderError
from ._style import FONT, SMALL, TINY, WIDTH, new_figure, style_axes

__all__ = ["make_curves", "validation_label"]

_MARKER_EPOCHS = 10  # when no run is longer, every epoch gets a point marker (quick builds, 1-epoch runs)
_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000)  # epochs between ticks after the tick at 1
_OFF_SCALE = 25.0  # a value this many times the runs' typical first-epoch value is off the scale (a diverging run)
_TEST = "test (used for validation)"
_VALIDATION = "validation"
_BAND = "band: ± 1 std over seeds"
_STYLES = {_VALIDATION: "--", _TEST: "-."}  # both in one figure: told apart by their line style
_KEY = "0.35"  # the grey of the legend's line-style key (train, validation, ...): no run's colour
# One colour per run, none a grey (the key's): tab10 without its grey, then 11 from matplotlib's other qualitative maps
# (tab20, tab20b, tab20c, Accent, Dark2, Paired), each the farthest in CIELAB from those before it, from the key and
# from white. No two of the 20 are closer than a CIELAB distance of 25 (tab10's own closest pair: 28).
_RUN_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf",
                "#a1d99b", "#ffbb78", "#f0027f", "#637939", "#fb9a99", "#1b9e77", "#b15928", "#e6ab02", "#9c9ede",
                "#7b4173", "#8c6d31")


def validation_label(validation: str | float | None) -> str:
    """What Keras' val_* series of a run are, from its `training.validation`: the test set ('test') or a held-out
    part of the training set (a fraction); None (not recorded) says no more than Keras does: 'validation'."""
    return _TEST if validation == "test" else _VALIDATION


def make_curves(histories: Mapping[str, Mapping[str, Sequence[float]]], metrics: Sequence[str] = ("loss", "accuracy"),
                phase_ends: Mapping[str, Sequence[int]] | None = None,
                validation: Mapping[str, str | float | None] | None = None,
                bands: Mapping[str, Mapping[str, Sequence[float]]] | None = None) -> Figure:
    """One panel per metric; per run a solid train line and a dashed `val_<metric>` line in one colour.
    `bands` {run: {series: std per epoch}}: the run's lines are means over seed replicates, drawn with a band of one
    standard deviation either side (the legend says so).
    `phase_ends` {run: [epoch, ...]}: where a training phase ended (transfer learning's head phase), a dotted line.
    `validation` {run: its training.validation}: the val_* lines of a run validated on the test set are named
    "test (used for validation)", others "validation"; when a figure has both, the test ones are dash-dotted.

    Epochs are 1-based, with integer ticks from 1. An accuracy panel shows all of 0..1 (0..100 for percentages). A
    panel whose values include some far above the others' (over 25 times the (lower) median of the lines' first
    values: a diverging run) is cut at the highest of the other values, and says which runs go off its top and how far."""
    if not histories:
        raise RenderError("curves figure: no runs to plot")
    if not metrics:
        raise RenderError("curves figure: no metrics to plot")
    _check_metrics(histories, metrics)
    colours = _colours(len(histories))
    sources = {name: validation_label((validation or {}).get(name)) for name in histories}
    shown = {sources[name] for name, history in histories.items() if any(f"val_{m}" in history for m in metrics)}
    styles = _STYLES if len(shown) > 1 else {label: "--" for label in shown}
    n = len(metrics)
    width = WIDTH if n <= 3 else 2.4 * n
    phases = bool(phase_ends and any(phase_ends.values()))
    banded = bool(bands and any(bands.values()))
    entries = [*histories, "train", *styles, *(["fine-tuning starts"] if phases else []), *([_BAND] if banded else [])]
    columns = _legend_columns(entries, width)
    fig = new_figure(width, 2.6 + 0.25 + 0.2 * math.ceil(len(entries) / columns))
    axes = fig.subplots(1, n, squeeze=False)[0]
    epochs = max(len(h[m]) for h in histories.values() for m in metrics)
    for ax, metric in zip(axes, metrics):
        series = []
        for colour, (name, history) in zip(colours, histories.items()):
            band = (bands or {}).get(name, {})
            _plot(ax, history[metric], colour, "-", name, epochs, band.get(metric))
            series.append((name, history[metric]))
            if f"val_{metric}" in history:
                _plot(ax, history[f"val_{metric}"], colour, styles[sources[name]], None, epochs, band.get(f"val_{metric}"))
                series.append((name, history[f"val_{metric}"]))
        _decorate(ax, metric, epochs, series)
        for colour, name in zip(colours, histories):
            for end in (phase_ends or {}).get(name, ()):
                ax.axvline(end + 0.5, color=colour, linestyle=":", linewidth=1.2)
    _legend(fig, list(histories), colours, styles, phases, columns, banded)
    return fig


def _check_metrics(histories: Mapping[str, Mapping[str, Sequence[float]]], metrics: Sequence[str]) -> None:
    for name, history in histories.items():
        missing = [m for m in metrics if m not in history]
        if missing:
            available = ", ".join(sorted(history)) or "nothing"
            raise RenderError(f"curves figure: run '{name}' has no '{missing[0]}' in its history; available: {available}")


def _colours(n: int) -> list[tuple[float, ...]]:
    return [to_rgba(_RUN_COLOURS[i % len(_RUN_COLOURS)]) for i in range(n)]


def _plot(ax: Axes, values: Sequence[float], colour: tuple[float, ...], style: str, label: str | None, epochs: int,
          band: Sequence[float] | None = None) -> None:
    y = np.asarray(values, dtype=float)
    x = np.arange(1, len(y) + 1)
    marker = "o" if epochs <= _MARKER_EPOCHS or len(y) == 1 else None
    ax.plot(x, y, linestyle=style, color=colour, linewidth=1.4, marker=marker, markersize=3, label=label)
    if band is not None:
        spread = np.asarray(band, dtype=float)[: len(y)]
        ax.fill_between(x[: len(spread)], y[: len(spread)] - spread, y[: len(spread)] + spread, color=colour, alpha=0.18,
                        linewidth=0)


def _decorate(ax: Axes, metric: str, epochs: int, series: list[tuple[str, Sequence[float]]]) -> None:
    style_axes(ax)
    ax.set_xlabel("Epoch", fontsize=FONT)
    ax.set_ylabel(_label(metric), fontsize=FONT)
    ax.set_xticks(epoch_ticks(epochs))
    ax.set_xlim(0.7, max(epochs, 1) + 0.3) if epochs <= _MARKER_EPOCHS else ax.set_xlim(1, epochs)
    if "accuracy" in metric:
        limits = _accuracy_limits([values for _, values in series])
        if limits:
            ax.set_ylim(*limits)
    else:
        _clip_off_scale(ax, series)


def epoch_ticks(epochs: int) -> list[int]:
    """1, then every `step` epochs up to the last (step 1 up to 10 epochs, then 2, 5, 10, ...: at most about 8 ticks)."""
    epochs = max(int(epochs), 1)
    if epochs <= _MARKER_EPOCHS:
        return list(range(1, epochs + 1))
    step = next((s for s in _STEPS if epochs / s <= 8), math.ceil(epochs / 8))
    return [1, *range(step, epochs + 1, step)]


def _label(metric: str) -> str:
    return metric.replace("_", " ").capitalize()


def _accuracy_limits(series: list[Sequence[float]]) -> tuple[float, float] | None:
    """The whole range, never a cut axis: 0..1 for fractions, 0..100 for percentages; None for anything else."""
    values = np.concatenate([np.asarray(s, dtype=float) for s in series]) if series else np.array([])
    values = values[np.isfinite(values)]
    if values.size and values.min() < 0:
        return None
    if values.size == 0 or values.max() <= 1:
        return 0.0, 1.0
    return (0.0, 100.0) if values.max() <= 100 else None


def _clip_off_scale(ax: Axes, series: list[tuple[str, Sequence[float]]]) -> None:
    """Cut the axis where some lines' values dwarf the others' (a diverging run's loss of 1e33 would flatten every other
    curve): it spans the lines that stay below 25 times the lines' typical (lower median) first value, the others run
    off its top, and a note inside the panel names their runs and how high they go."""
    arrays = [(name, values[np.isfinite(values)]) for name, values in ((n, np.asarray(v, dtype=float)) for n, v in series)]
    firsts = [values[0] for _, values in arrays if values.size]
    if not firsts:
        return
    threshold = _OFF_SCALE * max(abs(float(np.percentile(firsts, 50, method="lower"))), 1e-12)
    off: dict[str, float] = {}
    for name, values in arrays:
        if values.size and values.max() > threshold:
            off[name] = max(off.get(name, -math.inf), float(values.max()))
    clean = [values for name, values in arrays if values.size and values.max() <= threshold]
    if not off:
        return
    below = np.concatenate([values[values <= threshold] for _, values in arrays])
    high = float(np.concatenate(clean).max()) if clean else float(below.max()) if below.size else threshold
    low = float(below.min()) if below.size else 0.0
    margin = 0.08 * (high - low) or 0.08 * abs(high) or 1.0
    ax.set_ylim(low - margin, high + margin)
    text = "; ".join(f"{name} (up to {value:.2g})" for name, value in off.items())
    ax.text(0.98, 0.98, f"axis cut; off the top: {text}", transform=ax.transAxes, ha="right", va="top", fontsize=TINY,
            color="0.25", wrap=True, bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1.5})


def _legend_columns(entries: list[str], width: float) -> int:
    """The most columns whose estimated width (8 pt text, a 2.4 em handle, spacing; entries split into columns as
    matplotlib's legend splits them) fits in `width` inches."""
    for columns in range(len(entries), 1, -1):
        chunks = np.array_split(np.array(entries, dtype=object), columns)
        if sum(0.062 * max(len(entry) for entry in chunk) + 0.55 for chunk in chunks) <= width - 0.2:
            return columns
    return 1


def _legend(fig: Figure, names: list[str], colours: list[tuple[float, ...]], styles: Mapping[str, str], phases: bool,
            columns: int, banded: bool = False) -> None:
    """Runs by colour, then the line-style key (train, and what each run's val_* lines are), in one legend below."""
    handles = [Line2D([], [], color=c, linewidth=2.0) for c in colours]
    labels = list(names)
    handles.append(Line2D([], [], color=_KEY, linestyle="-", linewidth=1.4))
    labels.append("train")
    for label, style in styles.items():
        handles.append(Line2D([], [], color=_KEY, linestyle=style, linewidth=1.4))
        labels.append(label)
    if phases:
        handles.append(Line2D([], [], color=_KEY, linestyle=":", linewidth=1.2))
        labels.append("fine-tuning starts")
    if banded:
        handles.append(Patch(facecolor=_KEY, alpha=0.18, edgecolor="none"))
        labels.append(_BAND)
    fig.legend(handles, labels, loc="outside lower center", ncols=columns, fontsize=SMALL,
               frameon=False, handlelength=2.4, columnspacing=1.4)
