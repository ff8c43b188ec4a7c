"""RunResult: a run's recorded outcome, read from the cache without Keras."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from ..spec.figurekinds import CODES_IMAGES, DIAGRAM_PROBE, activations_probe, codes_probe
from .cache import Cache

__all__ = ["CODES_IMAGES", "DIAGRAM_PROBE", "RunResult", "activations_probe", "codes_probe", "failure_of"]

_SUMMARY = ("train_accuracy", "test_accuracy", "train_correct", "train_total", "test_correct", "test_total", "train_loss",
            "test_loss", "train_mse", "test_mse", "test_psnr", "noisy_psnr")


def failure_of(record: dict[str, Any]) -> str | None:
    """Why a run failed (a nan or inf loss), or None. Entries cached before runs could fail say it by a non-finite
    loss in their history or metrics: they read as failed too."""
    if record.get("status") == "failed":
        return str(record.get("failure") or "failed")
    for epoch, value in enumerate(record.get("history", {}).get("loss", []), 1):
        if not math.isfinite(value):
            return f"loss became {value} in epoch {epoch}"
    for key, value in record.get("metrics", {}).items():
        if isinstance(value, float) and not math.isfinite(value):
            return f"{key} became {value} at evaluation"
    return None


@dataclass(frozen=True)
class RunResult:
    """What a trained run left in the cache: metrics, history, sizes, timings, environment, arrays."""

    name: str
    key: str
    record: dict[str, Any]
    from_cache: bool
    cache: Cache

    @property
    def metrics(self) -> dict[str, float]:
        return self.record["metrics"]

    @property
    def failure(self) -> str | None:
        """Why the run failed ('loss became nan in epoch 3'), or None: a failed run's metrics are not results."""
        return failure_of(self.record)

    @property
    def failed(self) -> bool:
        return self.failure is not None

    @property
    def history(self) -> dict[str, list[float]]:
        return self.record["history"]

    @property
    def epochs(self) -> int:
        return self.record["epochs"]

    @property
    def params(self) -> int:
        return self.record["params"]

    @property
    def seconds(self) -> float:
        return self.record["seconds"]

    @property
    def dataset(self) -> dict[str, Any]:
        return self.record["dataset"]

    @property
    def layers(self) -> list[dict[str, Any]]:
        return self.record["layers"]

    @cached_property
    def arrays(self) -> dict[str, np.ndarray]:
        """Layer weights ('weights/<layer>/<i>'), test labels and predictions."""
        return self.cache.arrays(self.key)

    @property
    def origin(self) -> str:
        """Who vouches for this result: this build, this machine's seal, or a trusted key's (imported)."""
        return "trained in this build" if not self.from_cache else self.cache.verify(self.key).origin

    def probe(self, name: str) -> dict[str, np.ndarray]:
        """Arrays computed from the trained model for a figure, e.g. 'activations-train-12'."""
        return self.cache.read_probe(self.key, name)

    def summary(self) -> dict[str, Any]:
        """The run's entry in results.json: a failed run says why, and has no metrics."""
        failure = self.failure
        return {
            "kind": self.record.get("kind", "classify"),
            "status": "failed" if failure else "ok",
            **({"failure": failure} if failure else {}),
            "metrics": {} if failure else {k: v for k, v in self.metrics.items() if k in _SUMMARY},
            "epochs": self.epochs,
            "n_train": self.dataset["n_train"],
            "n_val": self.dataset.get("n_val", 0),
            "n_test": self.dataset["n_test"],
            "params": self.params,
            "cache_key": self.key,
            "from_cache": self.from_cache,
            "seconds": self.seconds,
        }
