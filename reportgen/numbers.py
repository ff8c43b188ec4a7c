"""Numbers as a person writes them: rounded half up, from exact counts where there are counts; counted with their noun."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

__all__ = ["count", "fixed", "mean_pm", "percent", "percent_of"]


def percent_of(correct: int, total: int) -> str:
    """correct/total as a percentage with one decimal, rounded half up in integers: 9,105 of 10,000 is 91.1%."""
    tenths = (2000 * int(correct) + int(total)) // (2 * int(total))
    return f"{tenths // 10}.{tenths % 10}%"


def percent(value: float | None, total: int | None = None) -> str:
    """A ratio as a percentage with one decimal, half up: from the count it stands for when the total is known
    (accuracies are counts of images), else from its shortest decimal form (0.9105 is 91.1%, not float's 91.0%)."""
    if value is None:
        return "n/a"
    if total:
        return percent_of(round(value * total), total)
    return f"{(Decimal(repr(float(value))) * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def fixed(value: float, digits: int) -> str:
    """value with `digits` decimals, rounded half up from its shortest decimal form (2.675 -> 2.68, not float's 2.67)."""
    return f"{Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)}"


def mean_pm(values: list[float], digits: int) -> str:
    """'87.41 ± 0.21': the mean and the sample standard deviation (ddof=1) of two or more values, half up."""
    import numpy as np  # numbers.py stays importable without numpy for the rest

    array = np.asarray(values, dtype=np.float64)
    return f"{fixed(float(array.mean()), digits)} ± {fixed(float(array.std(ddof=1)), digits)}"


def count(n: int, noun: str) -> str:
    """'1 epoch', '3 epochs', '1,000 runs': a count and its noun, plural unless it is one."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
