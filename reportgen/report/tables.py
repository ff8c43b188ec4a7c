"""Results tables: each column a named cell maker over a run's spec and result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Protocol, Sequence

from ..numbers import percent, percent_of
from ..registry import Registry
from ..spec import RunSpec
from .runs import estimator_text, run_architecture, run_data, run_failure, run_training, start_text

__all__ = ["COLUMNS", "Column", "accuracy", "format_percent", "make_table"]


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
    return "n/a" if run.kind == "estimator" or (not res.params and run_failure(res)) else f"{res.params:,}"  # not started


COLUMNS: Registry[Column] = Registry("column")
_COLUMNS = {
    "run": Column("Run", lambda name, run, res: run.title and f"{name}: {run.title}" or name),
    "architecture": Column("Architecture", lambda name, run, res: run_architecture(run)),
    "train_accuracy": Column("Acc. train %", lambda n, r, res: accuracy(res, "train"), True),
    "test_accuracy": Column("Acc. test %", lambda n, r, res: accuracy(res, "test"), True),
    "train_loss": Column("Loss train", lambda n, r, res: _loss(res.metrics.get("train_loss")), True),
    "test_loss": Column("Loss test", lambda n, r, res: _loss(res.metrics.get("test_loss")), True),
    "params": Column("Params", lambda n, r, res: _params(r, res), True),
    "epochs": Column("Epochs", lambda n, r, res: str(res.epochs), True),
    "batch_size": Column("Batch", lambda n, r, res: str(r.training.batch_size), True),
    "optimizer": Column("Optimizer", lambda n, r, res: f"{r.training.optimizer} lr={r.training.learning_rate:g}"),
    "hyperparameters": Column("Hyper-parameters", lambda n, r, res: run_training(r, res.epochs)),
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
    "estimator": Column("Estimator", lambda n, r, res: estimator_text(r) if r.estimator else "n/a"),
    "start": Column("Weights start from", lambda n, r, res: start_text(r)),
    "data": Column("Trained on", lambda n, r, res: run_data(r, getattr(res, "dataset", {}) or {})),
}
for _name, _column in _COLUMNS.items():
    COLUMNS.register(_name)(_column)

# Cells that are results of training: a failed run's say "failed" (its numbers, if any, are not results).
_RESULT_COLUMNS = {"train_accuracy", "test_accuracy", "train_loss", "test_loss", "best_epoch", "head_accuracy", "test_mse",
                   "train_mse", "test_psnr", "noisy_psnr"}


def make_table(runs: Sequence[str], columns: Sequence[str], specs: Mapping[str, RunSpec], results: Mapping[str, Result]) -> dict[str, Any]:
    """{columns, headers, numeric, rows}: the cells as printed, one row per run; with failed runs, their result
    cells say "failed" and `notes` says why ('mlp failed: loss became nan in epoch 3')."""
    chosen = [COLUMNS.get(name) for name in columns]
    failures = {name: run_failure(results[name]) for name in runs}
    table: dict[str, Any] = {
        "columns": list(columns),
        "headers": [c.header for c in chosen],
        "numeric": [c.numeric for c in chosen],
        "rows": [["failed" if failures[name] and column in _RESULT_COLUMNS else c.cell(name, specs[name], results[name])
                  for column, c in zip(columns, chosen)] for name in runs],
    }
    notes = [f"{name} failed: {why}" for name, why in failures.items() if why]
    if notes:
        table["notes"] = notes
    return table
