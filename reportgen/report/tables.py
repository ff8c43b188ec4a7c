"""Results tables: each column a named cell maker over a run's spec and result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Protocol, Sequence

from ..numbers import count, mean_pm, percent, percent_of
from ..registry import Registry
from ..spec import RunSpec
from .notation import optimizer_text
from .runs import estimator_text, params_text, run_architecture, run_data, run_failure, run_training, run_training_parts, start_text

__all__ = ["ALWAYS_SHOWN", "COLUMNS", "TEST_MARK", "Column", "accuracy", "accuracy_ratio", "fold_shared", "format_percent",
           "make_table", "shared_caption"]


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


def accuracy_ratio(res: Result, split: str) -> float:
    """A run's train or test accuracy as a ratio, exact from its counts where it has them."""
    metrics = res.metrics
    if metrics.get(f"{split}_total"):
        return metrics[f"{split}_correct"] / metrics[f"{split}_total"]
    return float(metrics[f"{split}_accuracy"])


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
    "epochs": Column("Epochs", lambda n, r, res: str(res.epochs), True, shared=lambda v: count(int(v), "epoch")),
    "batch_size": Column("Batch", lambda n, r, res: str(r.training.batch_size), True, shared=lambda v: f"batch {v}"),
    "optimizer": Column("Optimizer", lambda n, r, res: optimizer_text(r.training), shared=str),
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


def _accuracy_percent(res: Result, split: str) -> float | None:
    """A replicate's accuracy in per cent, from its counts where it has them."""
    has = res.metrics.get(f"{split}_total") or res.metrics.get(f"{split}_accuracy") is not None
    return 100 * accuracy_ratio(res, split) if has else None


def _head_percent(res: Result) -> float | None:
    phases = _record(res).get("phases") or []
    value = phases[0]["test"].get("accuracy") if phases else None
    return None if value is None else 100 * value


# A run with seed replicates: these cells are the mean ± sample standard deviation over its seeds (value, decimals).
_SPREAD: dict[str, tuple[Callable[[Result], float | None], int]] = {
    "train_accuracy": (lambda res: _accuracy_percent(res, "train"), 2),
    "test_accuracy": (lambda res: _accuracy_percent(res, "test"), 2),
    "head_accuracy": (_head_percent, 2),
    "train_loss": (lambda res: res.metrics.get("train_loss"), 4),
    "test_loss": (lambda res: res.metrics.get("test_loss"), 4),
    "train_mse": (lambda res: res.metrics.get("train_mse"), 4),
    "test_mse": (lambda res: res.metrics.get("test_mse"), 4),
    "test_psnr": (lambda res: res.metrics.get("test_psnr"), 2),
    "noisy_psnr": (lambda res: res.metrics.get("noisy_psnr"), 2),
    "seconds": (lambda res: res.seconds, 1),
}
# ... and these the range of its seeds' values when they differ ('7–10' epochs, as early stopping ends them).
_RANGE = {"epochs": lambda res: res.epochs, "best_epoch": lambda res: _record(res).get("checkpoint", {}).get("best_epoch", res.epochs)}
# The test numbers of a table: marked when the test set chose the model (TrainingSpec.test_selection).
_TEST_COLUMNS = {"test_accuracy", "test_loss", "test_mse", "test_psnr", "head_accuracy", "phases"}
TEST_MARK = "†"


def _replicates(res: Result) -> Sequence[Result]:
    return getattr(res, "replicates", ()) or ()


def _cell(column: str, c: Column, name: str, run: RunSpec, res: Result) -> str:
    """A cell as printed: a run with seed replicates shows the mean ± std (or range) of its seeds where the column
    is a result; its first seed's where it is a setting."""
    replicates = _replicates(res)
    if len(replicates) > 1 and column in _SPREAD:
        value, digits = _SPREAD[column]
        values = [value(r) for r in replicates]
        return "n/a" if None in values else mean_pm(values, digits)
    if len(replicates) > 1 and column in _RANGE:
        values = sorted({int(_RANGE[column](r)) for r in replicates})
        return str(values[0]) if len(values) == 1 else f"{values[0]}–{values[-1]}"
    return c.cell(name, run, res)


def _notes(runs: Sequence[str], columns: Sequence[str], rows: Sequence[Sequence[str]], specs: Mapping[str, RunSpec],
           results: Mapping[str, Result], failures: Mapping[str, str | None]) -> list[str]:
    """What a reader needs to read the cells: failed runs, the seeds behind a mean ± std, test numbers the test set chose."""
    notes = [f"{name} failed: {why}" for name, why in failures.items() if why]
    replicated = [name for name in runs if len(_replicates(results[name])) > 1 and not failures[name]]
    if replicated and any(column in _SPREAD or column in _RANGE for column in columns):
        seeds = "; ".join(f"{name}: seeds {', '.join(str(r.seed) for r in _replicates(results[name]))}" for name in replicated)
        ranged = any("–" in row[j] for row in rows for j, column in enumerate(columns) if column in _RANGE)
        notes.append(f"x ± s: the mean and the sample standard deviation (n − 1) of the values of a run's seed replicates, "
                     f"each trained on its own ({seeds}){'; a – b: the lowest and the highest of them' if ranged else ''}.")
    chosen = [name for name in runs if specs[name].training.test_selection and not failures[name]]
    if chosen and any(column in _TEST_COLUMNS for column in columns):
        how = "; ".join(f"{name}: {', '.join(specs[name].training.test_selection)}" for name in chosen)
        notes.append(f"{TEST_MARK} Selected on the test set ({how}, validating on the test images): the test set chose "
                     "the weights (or the learning rate) these numbers come from, so they are not held-out estimates "
                     "and overstate how the model does on new images.")
    return notes


def make_table(runs: Sequence[str], columns: Sequence[str], specs: Mapping[str, RunSpec], results: Mapping[str, Result],
               shared: bool = False) -> dict[str, Any]:
    """{columns, headers, numeric, rows}: the cells as printed, one row per run, and `notes` under the table: failed
    runs' result cells say "failed" and a note says why ('mlp failed: loss became nan in epoch 3'); a run with seed
    replicates shows mean ± std over its seeds, and a note names them; test numbers chosen by the test set (an
    EarlyStopping restoring its best weights on `validation: test`) are marked † with a note on what that means.

    shared=True (the report's tables): with more than one row, a column whose cells are all the same is left out and
    its value told once in `shared` ('batch 32'), and a settings column (hyper-parameters) keeps per row only the
    settings that not every row shares; the run's name and the results (ALWAYS_SHOWN) always stay."""
    chosen = [COLUMNS.get(name) for name in columns]
    failures = {name: run_failure(results[name]) for name in runs}

    def cell(name: str, column: str, c: Column) -> str:
        if failures[name] and column in _RESULT_COLUMNS:
            return "failed"
        text = _cell(column, c, name, specs[name], results[name])
        return f"{text} {TEST_MARK}" if column in _TEST_COLUMNS and specs[name].training.test_selection and text != "n/a" else text

    table: dict[str, Any] = {
        "columns": list(columns),
        "headers": [c.header for c in chosen],
        "numeric": [c.numeric for c in chosen],
        "rows": [[cell(name, column, c) for column, c in zip(columns, chosen)] for name in runs],
    }
    if shared:
        parts = {column: [c.parts(name, specs[name], results[name]) for name in runs]
                 for column, c in zip(columns, chosen) if c.parts and column not in ALWAYS_SHOWN}
        table.update(fold_shared(table, chosen, parts))
    notes = _notes(runs, table["columns"], table["rows"], specs, results, failures)
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
    sentence = f"All runs: {'; '.join(dict.fromkeys(shared))}."  # a setting two shared columns both say is said once
    caption = caption.strip()
    if not caption:
        return sentence
    return f"{caption}{'' if caption[-1] in '.!?:' else '.'} {sentence}"
