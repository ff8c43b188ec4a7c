"""TRAINERS: each run kind (classify, reconstruct, estimator) mapped to the function that trains it from a Job."""

from __future__ import annotations

from typing import Any, Callable

from ..registry import Registry
from .job import Job

__all__ = ["TRAINERS", "trainer"]

Trainer = Callable[[Job], tuple[dict[str, Any], dict[str, Any], Any]]  # -> (record, arrays, Keras model or None)
TRAINERS: Registry[Trainer] = Registry("run kind")


@TRAINERS.register("classify")
def _classify(job: Job) -> tuple[dict[str, Any], dict[str, Any], Any]:
    from .train import train_classifier

    return train_classifier(job)


@TRAINERS.register("reconstruct")
def _reconstruct(job: Job) -> tuple[dict[str, Any], dict[str, Any], Any]:
    from .autoencoder import train_autoencoder

    return train_autoencoder(job)


@TRAINERS.register("estimator")
def _estimator(job: Job) -> tuple[dict[str, Any], dict[str, Any], Any]:
    from .estimator import fit_estimator

    return fit_estimator(job)


def trainer(kind: str) -> Trainer:
    return TRAINERS.get(kind)
