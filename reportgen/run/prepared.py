"""prepare_run: a dataset cut to what a run uses (quick subset, labelled budget, unlabelled pool), and its description."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from ..data import Dataset, stratified_subset
from ..spec import RunSpec

__all__ = ["describe", "prepare", "prepare_run"]

SUBSET_SEED = 0  # every run of a quick build sees the same subset


def prepare(dataset: Dataset, subset: tuple[int, int] | None) -> Dataset:
    """The whole dataset, or a class-stratified subset of (train, test) sizes."""
    if subset is None:
        return dataset
    train = stratified_subset(dataset.y_train, subset[0], SUBSET_SEED)
    test = stratified_subset(dataset.y_test, subset[1], SUBSET_SEED)
    return replace(dataset, x_train=dataset.x_train[train], y_train=dataset.y_train[train],
                   x_test=dataset.x_test[test], y_test=dataset.y_test[test])


def prepare_run(dataset: Dataset, run: RunSpec) -> Dataset:
    """What this run trains on: the (quick) subset; then a labelled budget (a stratified subset of the training
    labels, seeded by the run's seed), or for an autoencoder the pool of splits whose images it learns from."""
    data = prepare(dataset, run.subset)
    if run.labels is not None:
        keep = stratified_subset(data.y_train, run.labels, run.training.seed)
        data = replace(data, x_train=data.x_train[keep], y_train=data.y_train[keep])
    if "test" in run.pool:  # the test images join the training pool (the report says so; its test metrics are not held out)
        data = replace(data, x_train=np.concatenate([data.x_train, data.x_test]), y_train=np.concatenate([data.y_train, data.y_test]))
    return data


def describe(used: Dataset, full: Dataset, fingerprint: str, run: RunSpec | None = None) -> dict[str, Any]:
    """What the report's appendix says of the data a run used."""
    out = {
        "source": full.source,
        "origin": full.origin,
        "fingerprint": fingerprint,
        "n_train": int(len(used.x_train)),
        "n_test": int(len(used.x_test)),
        "n_train_full": int(len(full.x_train)),
        "n_test_full": int(len(full.x_test)),
        "shape": list(used.x_train.shape[1:]),
        "classes": list(used.class_names),
        "max_value": int(full.max_value),
    }
    if run is not None and run.labels is not None:
        out["labels"] = int(len(used.y_train))
    if run is not None and run.pool != ("train",):
        out["pool"] = list(run.pool)
    return out
