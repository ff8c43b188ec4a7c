"""Class-stratified subsets of a labelled set, deterministic for a seed."""

from __future__ import annotations

import numpy as np

from reportgen.errors import DataError

__all__ = ["stratified_subset", "allocate"]


def allocate(counts: np.ndarray, n: int) -> np.ndarray:
    """Split `n` (<= counts.sum()) over classes in proportion to `counts` (largest remainder).

    When n >= number of classes every class gets at least one; ties go to the earlier class.
    """
    counts = np.asarray(counts, dtype=np.int64)
    quota = counts * (n / counts.sum())
    alloc = np.floor(quota).astype(np.int64)
    if n >= len(counts):
        alloc = np.maximum(alloc, 1)  # counts >= 1, so still alloc <= counts
    missing = n - int(alloc.sum())
    if missing > 0:  # hand the rest to the largest remainders (all of them have room)
        order = np.argsort(-(quota - alloc), kind="stable")
        alloc[order[:missing]] += 1
    while missing < 0:  # the minimum of one overshot: take back from the most over-served
        over = np.where(alloc > 1, quota - alloc, np.inf)
        alloc[int(np.argmin(over))] -= 1
        missing += 1
    return alloc


def stratified_subset(y: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Sorted int64 indices of a class-stratified subset of size min(n, len(y)).

    Classes keep their proportions (largest-remainder rounding); every class present gets
    at least one sample when n >= the number of classes. The same (y, n, seed) always gives
    the same indices.
    """
    labels = np.asarray(y)
    if labels.ndim != 1:
        raise DataError(
            f"stratified_subset: expected labels of shape (N,). Received {labels.shape}"
        )
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise DataError(f"subset size must be a non-negative integer. Received: {n!r}")
    if n >= len(labels):
        return np.arange(len(labels), dtype=np.int64)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    classes, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    alloc = allocate(counts, int(n))
    rng = np.random.default_rng(seed)
    chosen = [
        rng.choice(np.flatnonzero(inverse == c), size=int(k), replace=False)
        for c, k in enumerate(alloc)
        if k
    ]
    return np.sort(np.concatenate(chosen)).astype(np.int64)
