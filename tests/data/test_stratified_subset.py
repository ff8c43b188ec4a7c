"""stratified_subset: right size, every class kept, proportional, deterministic (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen.data import stratified_subset
from reportgen.data.subset import allocate
from reportgen.errors import DataError

labels_strategy = st.lists(st.integers(0, 6), min_size=1, max_size=200).map(np.array)
quick = settings(max_examples=150, deadline=None, database=None)


@quick
@given(y=labels_strategy, n=st.integers(0, 250), seed=st.integers(0, 2**32 - 1))
def test_subset_properties(y, n, seed):
    idx = stratified_subset(y, n, seed)
    assert idx.dtype == np.int64
    assert len(idx) == min(n, len(y))
    assert np.all(np.diff(idx) > 0)  # sorted, no repeats
    assert idx.size == 0 or (idx[0] >= 0 and idx[-1] < len(y))
    np.testing.assert_array_equal(idx, stratified_subset(y, n, seed))
    classes, counts = np.unique(y, return_counts=True)
    if n >= len(classes):
        assert set(np.unique(y[idx])) == set(classes)


@quick
@given(counts=st.lists(st.integers(1, 300), min_size=1, max_size=12), data=st.data())
def test_allocation_is_proportional(counts, data):
    counts = np.array(counts)
    n = data.draw(st.integers(0, int(counts.sum())))
    alloc = allocate(counts, n)
    assert alloc.sum() == n
    assert np.all(alloc >= 0) and np.all(alloc <= counts)
    quota = counts * n / counts.sum()
    if n >= len(counts):
        assert np.all(alloc >= 1)
    if np.all(quota >= 1) or n < len(counts):
        assert np.all(np.abs(alloc - quota) < 1)


def test_seed_changes_the_choice_not_the_class_counts():
    y = np.repeat(np.arange(4), 50)
    a, b = stratified_subset(y, 20, 0), stratified_subset(y, 20, 1)
    assert not np.array_equal(a, b)
    assert np.bincount(y[a]).tolist() == np.bincount(y[b]).tolist() == [5, 5, 5, 5]


def test_rare_class_kept():
    y = np.array([0] * 98 + [1, 2])
    assert sorted(set(y[stratified_subset(y, 10, 0)])) == [0, 1, 2]


def test_bad_arguments():
    with pytest.raises(DataError, match=r"non-negative integer\. Received: -1"):
        stratified_subset(np.zeros(3), -1, 0)
    with pytest.raises(DataError, match=r"expected labels of shape \(N,\)"):
        stratified_subset(np.zeros((3, 1)), 1, 0)
