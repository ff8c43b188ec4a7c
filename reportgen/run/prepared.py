"""prepare: a loaded dataset cut to a run's stratified subset (still uint8), and how the report describes it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..data import Dataset, stratified_subset

__all__ = ["describe", "prepare"]

SUBSET_SEED = 0  # every run of a quick build sees the same subset


def prepare(dataset: Dataset, subset: tuple[int, int] | None) -> Dataset:
    """The whole dataset, or a class-stratified subset of (train, test) sizes."""
    if subset is None:
        return dataset
    train = stratified_subset(dataset.y_train, subset[0], SUBSET_SEED)
    test = stratified_subset(dataset.y_test, subset[1], SUBSET_SEED)
    return replace(dataset, x_train=dataset.x_train[train], y_train=dataset.y_train[train],
                   x_test=dataset.x_test[test], y_test=dataset.y_test[test])


def describe(used: Dataset, full: Dataset, fingerprint: str) -> dict[str, Any]:
    """What the report's appendix says of the data a run used."""
    return {
        "source": full.source,
        "origin": full.origin,
        "fingerprint": fingerprint,
        "n_train": int(len(used.x_train)),
        "n_test": int(len(used.x_test)),
        "n_train_full": int(len(full.x_train)),
        "n_test_full": int(len(full.x_test)),
        "shape": list(used.x_train.shape[1:]),
        "classes": list(used.class_names),
    }
