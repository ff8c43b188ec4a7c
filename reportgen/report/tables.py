"""Results tables: each column a named cell maker over a run's spec and result."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Protocol, Sequence

from ..numbers import percent, percent_of
from ..registry import Registry
from ..spec import RunSpec
from .runs import estimator_text, params_text, run_architecture, run_data, run_failure, run_training, run_training_parts, start_text

__all__ = ["ALWAYS_SHOWN", "COLUMNS", "PIECE_COLUMNS", "Column", "accuracy", "fold_shared", "format_percent", "header_lines",
           "make_table", "segments", "shared_caption", "table_layout", "word_parts"]


class Result(Protocol):
    """What a table reads of a run's result (run.result.RunResult fits)."""

    metrics: Mapping[str, float]
    params: int
    epochs: int
    seconds: float


def format_percent(value: float | None, total: int | None = None) -> str:
    """Accuracies as the sheet prints them, 68.2%, rounded half up (from the count of images when total is given)."""
    return percent(value, total)


def accuracy(res: Result, split: str) -> str:
    """A run's train or test accuracy, printed from its count of correct images (older entries: ratio x images)."""
    metrics = res.metrics
    if f"{split}_correct" in metrics and metrics.get(f"{split}_total"):
        return percent_of(metrics[f"{split}_correct"], metrics[f"{split}_total"])
    dataset = getattr(res, "dataset", None) or {}
    return percent(metrics.get(f"{split}_accuracy"), dataset.get(f"n_{split}"))


def _loss(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


@dataclass(frozen=True)
class Column:
    """A table column: its header, its alignment and how a cell is made."""

    header: str
    cell: Callable[[str, RunSpec, Result], str]
    numeric: bool = False
    # How a value every row shares is told in the caption ('batch 32'); None: 'Header: value'.
    shared: Callable[[str], str] | None = None
    # A cell made of settings ('adam lr=0.001', 'batch 32', ...): the settings every row shares go to the caption, each
    # row keeps the others.
    parts: Callable[[str, RunSpec, Result], list[str]] | None = None

    def shared_text(self, value: str) -> str:
        return self.shared(value) if self.shared else f"{self.header}: {value}"


def _record(res: Result) -> Mapping[str, Any]:
    return getattr(res, "record", None) or {}


def _callback(run: RunSpec, res: Result) -> str:
    """PW12's Callback column: 'no', or what was kept: 'best val_accuracy, epoch 7 of 10'."""
    kept = _record(res).get("checkpoint")
    if kept:
        return f"best {kept['monitor']}, epoch {kept['best_epoch']} of {res.epochs}"
    declared = [c.kind for c in run.training.callbacks]
    return ", ".join(declared) if declared else "no"


def _n_test(res: Result) -> int | None:
    return (getattr(res, "dataset", None) or {}).get("n_test")


def _head_accuracy(res: Result) -> str:
    phases = _record(res).get("phases") or []
    return format_percent(phases[0]["test"].get("accuracy"), _n_test(res)) if phases else "n/a"


def _phases(run: RunSpec, res: Result) -> str:
    """Transfer learning's two phases: the head on a frozen backbone, then fine-tuning."""
    phases = _record(res).get("phases") or []
    if not phases:
        return f"{res.epochs} epochs"
    head, tuned = phases[0], phases[-1]
    top = "all" if tuned["unfrozen"] is None else f"top {tuned['unfrozen']}"
    return (f"head {head['epochs']} ep. ({format_percent(head['test'].get('accuracy'), _n_test(res))} test), then {top} "
            f"layers {tuned['epochs']} ep. at lr={tuned['learning_rate']:g}")


def _number(value: float | None, digits: int = 4, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:.{digits}f}{unit}"


def _code(res: Result) -> Mapping[str, Any]:
    return _record(res).get("code") or {}


def _code_size(res: Result) -> str:
    code = _code(res)
    if not code:
        return "n/a"
    return f"{code['size']:,} ({'x'.join(map(str, code['shape']))})" if len(code["shape"]) > 1 else f"{code['size']:,}"


def _compression(res: Result) -> str:
    """Input size over code size, and bytes per image: uint8 pixels before, float32 codes after."""
    code = _code(res)
    if not code:
        return "n/a"
    return (f"{_ratio(code['input_size'] / code['size'])} ({code['input_size']:,} → {code['size']:,} values; "
            f"{code['input_bytes']:,} B → {code['bytes']:,} B, {_ratio(code['input_bytes'] / code['bytes'])})")


def _ratio(r: float) -> str:
    """24.5×, or 0.031× for a code larger than its image (no compression at all)."""
    return f"{r:.1f}×" if r >= 1 else f"{r:.2g}×"


def _features(res: Result) -> str:
    features = _record(res).get("features")
    return f"{features['source']} ({features['size']:,})" if features else "n/a"


def _params(run: RunSpec, res: Result) -> str:
    """'2,410', or '10,122 (96 non-trainable)' with batch normalisation's moving statistics; 'n/a' for an estimator or a
    run that failed before it started."""
    if run.kind == "estimator" or (not res.params and run_failure(res)):
        return "n/a"
    return params_text(res.params, getattr(res, "layers", None) or _record(res).get("layers") or [])


COLUMNS: Registry[Column] = Registry("column")
_COLUMNS = {
    "run": Column("Run", lambda name, run, res: run.title and f"{name}: {run.title}" or name),
    "architecture": Column("Architecture", lambda name, run, res: run_architecture(run), shared=lambda v: f"architecture {v}"),
    "train_accuracy": Column("Acc. train %", lambda n, r, res: accuracy(res, "train"), True),
    "test_accuracy": Column("Acc. test %", lambda n, r, res: accuracy(res, "test"), True),
    "train_loss": Column("Loss train", lambda n, r, res: _loss(res.metrics.get("train_loss")), True),
    "test_loss": Column("Loss test", lambda n, r, res: _loss(res.metrics.get("test_loss")), True),
    "params": Column("Params", lambda n, r, res: _params(r, res), True),
    "epochs": Column("Epochs", lambda n, r, res: str(res.epochs), True, shared=lambda v: f"{v} epochs"),
    "batch_size": Column("Batch", lambda n, r, res: str(r.training.batch_size), True, shared=lambda v: f"batch {v}"),
    "optimizer": Column("Optimizer", lambda n, r, res: f"{r.training.optimizer} lr={r.training.learning_rate:g}", shared=str),
    "hyperparameters": Column("Hyper-parameters", lambda n, r, res: run_training(r, res.epochs),
                              parts=lambda n, r, res: run_training_parts(r, res.epochs)),
    "seconds": Column("Time (s)", lambda n, r, res: f"{res.seconds:.1f}", True),
    "callback": Column("Callback", lambda n, r, res: _callback(r, res)),
    "best_epoch": Column("Best epoch", lambda n, r, res: str(_record(res).get("checkpoint", {}).get("best_epoch", res.epochs)), True),
    "head_accuracy": Column("Acc. test % (head only)", lambda n, r, res: _head_accuracy(res), True),
    "phases": Column("Training phases", lambda n, r, res: _phases(r, res)),
    "test_mse": Column("MSE test", lambda n, r, res: _number(res.metrics.get("test_mse")), True),
    "train_mse": Column("MSE train", lambda n, r, res: _number(res.metrics.get("train_mse")), True),
    "test_psnr": Column("PSNR test (dB)", lambda n, r, res: _number(res.metrics.get("test_psnr"), 1), True),
    "noisy_psnr": Column("PSNR of the noisy input (dB)", lambda n, r, res: _number(res.metrics.get("noisy_psnr"), 1), True),
    "code_size": Column("Code size", lambda n, r, res: _code_size(res), True),
    "compression": Column("Compression", lambda n, r, res: _compression(res)),
    "features": Column("Features", lambda n, r, res: _features(res)),
    "estimator": Column("Estimator", lambda n, r, res: estimator_text(r) if r.estimator else "n/a", shared=lambda v: f"estimator {v}"),
    "start": Column("Weights start from", lambda n, r, res: start_text(r), shared=lambda v: f"weights start from {v}"),
    "data": Column("Trained on", lambda n, r, res: run_data(r, getattr(res, "dataset", {}) or {}), shared=lambda v: f"trained on {v}"),
}
for _name, _column in _COLUMNS.items():
    COLUMNS.register(_name)(_column)

# Cells that are results of training: a failed run's say "failed" (its numbers, if any, are not results).
_RESULT_COLUMNS = {"train_accuracy", "test_accuracy", "train_loss", "test_loss", "best_epoch", "head_accuracy", "test_mse",
                   "train_mse", "test_psnr", "noisy_psnr"}


# Never folded into the caption, even when every row holds the same value: the run's name, and what the runs gave
# (metrics, sizes, times, what a callback kept), which are compared between rows, not settings shared by them.
ALWAYS_SHOWN = frozenset({"run", "params", "seconds", "callback", "phases", "code_size", "compression", "features", *_RESULT_COLUMNS})
NO_OWN_SETTING = "—"  # a settings cell whose every setting is shared by all rows (the caption tells them)


def make_table(runs: Sequence[str], columns: Sequence[str], specs: Mapping[str, RunSpec], results: Mapping[str, Result],
               shared: bool = False) -> dict[str, Any]:
    """{columns, headers, numeric, rows}: the cells as printed, one row per run; with failed runs, their result
    cells say "failed" and `notes` says why ('mlp failed: loss became nan in epoch 3').

    shared=True (the report's tables): with more than one row, a column whose cells are all the same is left out and
    its value told once in `shared` ('batch 32'), and a settings column (hyper-parameters) keeps per row only the
    settings that not every row shares; the run's name and the results (ALWAYS_SHOWN) always stay."""
    chosen = [COLUMNS.get(name) for name in columns]
    failures = {name: run_failure(results[name]) for name in runs}
    table: dict[str, Any] = {
        "columns": list(columns),
        "headers": [c.header for c in chosen],
        "numeric": [c.numeric for c in chosen],
        "rows": [["failed" if failures[name] and column in _RESULT_COLUMNS else c.cell(name, specs[name], results[name])
                  for column, c in zip(columns, chosen)] for name in runs],
    }
    if shared:
        parts = {column: [c.parts(name, specs[name], results[name]) for name in runs]
                 for column, c in zip(columns, chosen) if c.parts and column not in ALWAYS_SHOWN}
        table.update(fold_shared(table, chosen, parts))
    notes = [f"{name} failed: {why}" for name, why in failures.items() if why]
    if notes:
        table["notes"] = notes
    return table


def fold_shared(table: Mapping[str, Any], chosen: Sequence[Column], parts: Mapping[str, list[list[str]]]) -> dict[str, Any]:
    """The table without the columns (and settings) every row shares, and those in `shared`, in column order."""
    rows = table["rows"]
    if len(rows) < 2:
        return {"shared": []}
    said: list[str] = []
    kept: list[int] = []
    cells: dict[int, list[str]] = {}
    for j, (column, c) in enumerate(zip(table["columns"], chosen)):
        if column in ALWAYS_SHOWN:
            kept.append(j)
        elif column in parts:
            first, *others = parts[column]
            common = [p for p in first if all(p in other for other in others)]
            said += common
            own = ["; ".join(p for p in settings if p not in common) or NO_OWN_SETTING for settings in parts[column]]
            if any(cell != NO_OWN_SETTING for cell in own):
                kept.append(j)
                cells[j] = own
        elif len({row[j] for row in rows}) == 1:
            said.append(c.shared_text(rows[0][j]))
        else:
            kept.append(j)
    return {
        "columns": [table["columns"][j] for j in kept],
        "headers": [table["headers"][j] for j in kept],
        "numeric": [table["numeric"][j] for j in kept],
        "rows": [[cells[j][i] if j in cells else row[j] for j in kept] for i, row in enumerate(rows)],
        "shared": list(dict.fromkeys(said)),  # '20 epochs' from both the hyper-parameters and the epochs column: once
    }


def shared_caption(caption: str, shared: Sequence[str]) -> str:
    """'Dense networks. All runs: adam lr=0.001; batch 32; 20 epochs; categorical_crossentropy.'"""
    if not shared:
        return caption
    sentence = f"All runs: {'; '.join(shared)}."
    caption = caption.strip()
    if not caption:
        return sentence
    return f"{caption}{'' if caption[-1] in '.!?:' else '.'} {sentence}"


# How a cell may wrap. An architecture wraps only at a separator (a space after ';', ',', '→' or '‖', or a line
# break), so that a layer ('CONV D=16,', 'DENSE 10,') never breaks inside: a piece between separators of at most
# PIECE_COLUMNS[column] characters is kept in one line (a nowrap span; a longer one wraps at its spaces). Other text
# cells wrap at their spaces as text does (their HTML stays the text: tests and readers search it), a long word also
# after 'Name(' or 'key=' (word_parts); a number never wraps, except before a parenthesis ('10,122 (96 non-trainable)').
_SEPARATOR = re.compile(r"(\n|(?<=[;,→‖]) )")
_NUMBER_SEPARATOR = re.compile(r"( )(?=\()")  # '10,122 (96 non-trainable)': the number, then what it says of it
NOWRAP_CHARS = 24
PIECE_COLUMNS = {"architecture": NOWRAP_CHARS}


def segments(text: str, numeric: bool = False, nowrap_chars: int = NOWRAP_CHARS) -> list[tuple[str, bool]]:
    """The cell's text as (piece, keep together) in order; separators are pieces of their own (never kept). A number
    is kept whole, and may only wrap before a parenthesis. nowrap_chars=0: no piece is kept (plain text)."""
    if numeric:
        return [(piece, " " in piece.strip()) for piece in _NUMBER_SEPARATOR.split(text) if piece]
    out = []
    for piece in _SEPARATOR.split(text):
        if piece:
            out.append((piece, piece not in (" ", "\n") and len(piece) <= nowrap_chars and " " in piece))
    return out


# A long word of a piece that may wrap ('EarlyStopping(monitor=val_loss,', 'restore_best_weights=True)') may also break
# after an opening parenthesis or an '=' that follows a letter: the template puts a <wbr> there.
LONG_WORD = 16
_WORD_BREAK = re.compile(r"(?<=[A-Za-z_][(=])(?=[\w'\"])")


def word_parts(word: str) -> list[str]:
    """A word as it may break: itself, or a long one cut after 'Name(' and 'key='."""
    return _WORD_BREAK.split(word) if len(word) > LONG_WORD else [word]


def header_lines(header: str) -> list[str]:
    """A header in at most two lines, never one word a line: 'Acc. train %' -> ['Acc.', 'train %']; short ones whole."""
    words = header.split(" ")
    if len(header) <= 10 or len(words) < 2:
        return [header]
    cut = min(range(1, len(words)), key=lambda i: max(len(" ".join(words[:i])), len(" ".join(words[i:]))))
    return [" ".join(words[:cut]), " ".join(words[cut:])]


# Text widths in em of DejaVu Serif (the report's body font; DejaVu Sans, its headers, is close), by kind of character:
# enough to tell a table that fits a portrait page from one that needs a smaller font or a landscape page.
_WIDTHS = [(str.isupper, 0.72), (str.isdigit, 0.64), (str.islower, 0.58)]
_PUNCTUATION = {**dict.fromkeys(" .,;:'|!", 0.32), **dict.fromkeys("()[]{}", 0.39), **dict.fromkeys("=+<>→×‖~", 0.84),
                "%": 0.95, "_": 0.5, "-": 0.34, "/": 0.34}


def text_em(text: str) -> float:
    return sum(next((w for test, w in _WIDTHS if test(ch)), _PUNCTUATION.get(ch, 0.6)) for ch in text)


def _min_em(text: str, numeric: bool = False, nowrap_chars: int = 0) -> float:
    """The widest thing of a cell that cannot wrap (min-content), in em."""
    widest = 0.0
    for piece, together in segments(text, numeric, nowrap_chars):
        units = [piece] if together or numeric else [part for word in piece.split() for part in word_parts(word)]
        widest = max([widest, *(text_em(unit) for unit in units)])
    return widest


# The page's text width in pt: A4 less templates/report.css's @page margins (18 mm each side), upright and landscape.
PORTRAIT_PT = (210 - 36) / 25.4 * 72
LANDSCAPE_PT = (297 - 36) / 25.4 * 72
_CELL_PADDING_PT = 10.5  # 5 pt each side and the border


def table_layout(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[bool], font_pt: float = 9.0,
                 small_pt: float = 8.0, nowrap_chars: Sequence[int] | None = None) -> str:
    """How a table fits the page, from its number of columns and an estimate of its narrowest width (every column as
    wide as the longest thing in it that cannot wrap): 'normal' (font_pt); 'compact' (small_pt); 'wide' (a landscape
    page, small_pt); 'squeeze' (landscape, and long words may break anywhere: only if nothing else fits). The sizes are
    report.css's for the table's class (table.results: 9 and 8 pt; table.small: 8 and 7.5 pt). nowrap_chars: by
    column, the longest piece kept in one line (segments; 0 for plain text)."""
    def narrowest(font: float) -> float:
        total = 0.0
        for j, header in enumerate(headers):
            cells = [row[j] for row in rows]
            em = max([text_em(line) * 1.1 * 0.94 for line in header_lines(header)]  # bold sans, 0.94em
                     + [_min_em(cell, numeric[j], nowrap_chars[j] if nowrap_chars else 0) for cell in cells])
            total += em * font + _CELL_PADDING_PT
        return total

    n = len(headers)  # the estimate is a few per cent wide of the mark (either way): some room is kept
    if n <= 6 and narrowest(font_pt) <= 0.88 * PORTRAIT_PT:
        return "normal"
    if n <= 8 and narrowest(small_pt) <= 0.98 * PORTRAIT_PT:
        return "compact"
    if narrowest(small_pt) <= 0.95 * LANDSCAPE_PT:
        return "wide"
    return "squeeze"
