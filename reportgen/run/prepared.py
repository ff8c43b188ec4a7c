"""PreparedData: a loaded dataset cut to a run's subset, still uint8."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..data import Dataset, stratified_subset

__all__ = ["PreparedData", "prepare"]

SUBSET_SEED = 0  # every run of a quick build sees the same subset


@dataclass(frozen=True)
class PreparedData:
    """The arrays a run trains and is evaluated on."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    max_value: int

    def info(self, dataset: Dataset, fingerprint: str) -> dict[str, Any]:
        """What the report's appendix says of this data."""
        return {
            "source": dataset.source,
            "origin": dataset.origin,
            "fingerprint": fingerprint,
            "n_train": int(len(self.x_train)),
            "n_test": int(len(self.x_test)),
            "n_train_full": int(len(dataset.x_train)),
            "n_test_full": int(len(dataset.x_test)),
            "shape": list(self.x_train.shape[1:]),
            "classes": list(self.class_names),
        }


def prepare(dataset: Dataset, subset: tuple[int, int] | None) -> PreparedData:
    """The whole dataset, or a class-stratified subset of (train, test) sizes."""
    x_train, y_train, x_test, y_test = dataset.x_train, dataset.y_train, dataset.x_test, dataset.y_test
    if subset is not None:
        train_idx = stratified_subset(y_train, subset[0], SUBSET_SEED)
        test_idx = stratified_subset(y_test, subset[1], SUBSET_SEED)
        x_train, y_train, x_test, y_test = x_train[train_idx], y_train[train_idx], x_test[test_idx], y_test[test_idx]
    return PreparedData(x_train, y_train, x_test, y_test, dataset.class_names, dataset.max_value)
