"""Printed percentages are the correctly rounded ones (half up, as by hand), from counts where there are counts."""

from __future__ import annotations

from fractions import Fraction
from types import SimpleNamespace

import numpy as np
from hypothesis import given, strategies as st

from reportgen.numbers import percent, percent_of
from reportgen.report.tables import accuracy
from reportgen.run.train import accuracy_counts


def test_9105_of_10000_is_91_1_everywhere() -> None:
    assert percent_of(9105, 10_000) == "91.1%"
    assert percent(0.9105) == "91.1%"  # the ratio's decimal form, not float's 91.04999...
    assert percent(float(np.float32(0.9105)), 10_000) == "91.1%"  # a float32 metric and its number of images
    stored = accuracy_counts({"test_accuracy": float(np.float32(0.9105))}, {"test": 10_000})
    assert stored == {"test_correct": 9105, "test_total": 10_000, "test_accuracy": 0.9105}
    new = SimpleNamespace(metrics=stored, dataset={"n_test": 10_000})
    old = SimpleNamespace(metrics={"test_accuracy": float(np.float32(0.9105))}, dataset={"n_test": 10_000})
    assert accuracy(new, "test") == accuracy(old, "test") == "91.1%"


@given(st.integers(min_value=1, max_value=2_000_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_percent_of_rounds_half_up_exactly(pair: tuple[int, int]) -> None:
    correct, total = pair
    tenths = Fraction(1000 * correct, total)
    expected = int(tenths) + (tenths - int(tenths) >= Fraction(1, 2))
    assert percent_of(correct, total) == f"{expected // 10}.{expected % 10}%"
    assert percent(correct / total, total) == percent_of(correct, total)
    assert accuracy_counts({"a_accuracy": float(np.float32(correct / total))}, {"a": total})["a_correct"] == correct


def test_a_count_says_its_noun_in_the_singular_only_for_one() -> None:
    from reportgen.numbers import count

    assert [count(n, "epoch") for n in (0, 1, 2, 1000)] == ["0 epochs", "1 epoch", "2 epochs", "1,000 epochs"]
