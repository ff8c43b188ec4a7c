"""prepare_run: a dataset cut to what a run uses (quick subset, labelled budget, unlabelled pool), and its description."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from ..data import Dataset, stratified_subset
from ..spec import RunSpec

__all__ = ["describe", "prepare", "prepare_run", "validation_split"]

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
    if run.kind != "estimator" and isinstance(run.training.validation, float):
        fit, val = validation_split(data.y_train, run.training.validation, run.training.seed)
        data = replace(data, x_train=data.x_train[fit], y_train=data.y_train[fit], x_val=data.x_train[val], y_val=data.y_train[val])
    return data


def validation_split(y: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(fit, validation) indices into the training set: a class-stratified fraction held out, seeded by the run's seed
    (not Keras' validation_split, which takes the unshuffled last slice); at least one image on each side."""
    n = len(y)
    held = min(max(1, int(round(fraction * n))), n - 1) if n > 1 else 0
    val = stratified_subset(y, held, seed)
    fit = np.setdiff1d(np.arange(n, dtype=np.int64), val, assume_unique=True)
    return fit, val


def describe(used: Dataset, full: Dataset, fingerprint: str, run: RunSpec | None = None) -> dict[str, Any]:
    """What the report's appendix says of the data a run used."""
    out = {
        "source": full.source,
        "origin": full.origin,
        "fingerprint": fingerprint,
        "n_train": int(len(used.x_train)),
        "n_val": int(len(used.x_val)) if used.x_val is not None else 0,
        "n_test": int(len(used.x_test)),
        "n_train_full": int(len(full.x_train)),
        "n_test_full": int(len(full.x_test)),
        "shape": list(used.x_train.shape[1:]),
        "classes": list(used.class_names),
        "max_value": int(full.max_value),
    }
    if full.subset:  # read from a smaller copy of the dataset (mnist-5k/ for mnist): the report says so
        out["copy"] = full.subset
    if run is not None and run.labels is not None:
        out["labels"] = int(len(used.y_train))
    if run is not None and run.pool != ("train",):
        out["pool"] = list(run.pool)
    return out
