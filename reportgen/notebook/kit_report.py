# ruff: noqa: F821  (RETRAIN, WEIGHTS, BATCH_VALUES and RESULTS are the notebook's, from its first cell)
"""Table helpers an exported notebook carries as its own code: results cells printed as the report prints them."""

# Copied into every notebook as a code cell: it reads RESULTS and HISTORY, the notebook's own numbers.
from decimal import ROUND_HALF_UP, Decimal

import numpy as np


def percent_of(correct, total):
    """correct / total as a percentage with one decimal, rounded half up: 9,105 of 10,000 is 91.1%."""
    tenths = (2000 * int(correct) + int(total)) // (2 * int(total))
    return f"{tenths // 10}.{tenths % 10}%"


def fixed(value, digits):
    """value with `digits` decimals, rounded half up from its shortest decimal form."""
    return f"{Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)}"


def mean_pm(values, digits):
    """'87.41 ± 0.21': the mean and the sample standard deviation of the seeds' values."""
    values = np.asarray(values, dtype=np.float64)
    return f"{fixed(values.mean(), digits)} ± {fixed(values.std(ddof=1), digits)}"


def _accuracy(r, split):
    m = r["metrics"]
    return 100 * m[f"{split}_correct"] / m[f"{split}_total"]


_SPREAD = {"train_accuracy": (lambda r: _accuracy(r, "train"), 2), "test_accuracy": (lambda r: _accuracy(r, "test"), 2),
           "train_loss": (lambda r: r["metrics"]["train_loss"], 4), "test_loss": (lambda r: r["metrics"]["test_loss"], 4),
           "train_mse": (lambda r: r["metrics"]["train_mse"], 4), "test_mse": (lambda r: r["metrics"]["test_mse"], 4),
           "test_psnr": (lambda r: r["metrics"]["test_psnr"], 2), "noisy_psnr": (lambda r: r["metrics"]["noisy_psnr"], 2),
           "seconds": (lambda r: r["seconds"], 1)}
_ONE = {"train_accuracy": lambda r: percent_of(r["metrics"]["train_correct"], r["metrics"]["train_total"]),
        "test_accuracy": lambda r: percent_of(r["metrics"]["test_correct"], r["metrics"]["test_total"]),
        "train_loss": lambda r: f"{r['metrics']['train_loss']:.4f}", "test_loss": lambda r: f"{r['metrics']['test_loss']:.4f}",
        "train_mse": lambda r: f"{r['metrics']['train_mse']:.4f}", "test_mse": lambda r: f"{r['metrics']['test_mse']:.4f}",
        "test_psnr": lambda r: f"{r['metrics']['test_psnr']:.1f}", "noisy_psnr": lambda r: f"{r['metrics']['noisy_psnr']:.1f}",
        "seconds": lambda r: f"{r['seconds']:.1f}", "epochs": lambda r: str(r["epochs"]),
        "params": lambda r: f"{r['params']:,}" + (f" ({r['non_trainable']:,} non-trainable)" if r.get("non_trainable") else "")
        if r["params"] else "n/a"}
RESULT_COLUMNS = tuple(_ONE)


def result_cell(name, column):
    """A results cell of run `name`: its one seed's value, or the mean ± std over its seeds."""
    seeds = list(RESULTS[name].values())
    try:
        if len(seeds) > 1 and column in _SPREAD:
            value, digits = _SPREAD[column]
            return mean_pm([value(r) for r in seeds], digits)
        if len(seeds) > 1 and column == "epochs":
            values = sorted({r["epochs"] for r in seeds})
            return str(values[0]) if len(values) == 1 else f"{values[0]}–{values[-1]}"
        return _ONE[column](seeds[0])
    except KeyError:
        return "n/a"


def results_table(rows, columns):
    """A DataFrame of the runs: each row's described cells (settings) with its results cells computed here."""
    import pandas as pd

    table = []
    for name, described in rows:
        table.append({header: result_cell(name, key) if key in RESULT_COLUMNS else described[key] for key, header in columns})
    return pd.DataFrame(table)
