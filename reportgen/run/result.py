"""RunResult: a run's recorded outcome, read from the cache without Keras."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from ..spec.figurekinds import CODES_IMAGES, DIAGRAM_PROBE, activations_probe, codes_probe
from .cache import Cache

__all__ = ["CODES_IMAGES", "DIAGRAM_PROBE", "RunResult", "activations_probe", "codes_probe"]

_SUMMARY = ("train_accuracy", "test_accuracy", "train_loss", "test_loss", "train_mse", "test_mse", "test_psnr", "noisy_psnr")


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

    def probe(self, name: str) -> dict[str, np.ndarray]:
        """Arrays computed from the trained model for a figure, e.g. 'activations-train-12'."""
        return self.cache.read_probe(self.key, name)

    def summary(self) -> dict[str, Any]:
        """The run's entry in results.json."""
        return {
            "kind": self.record.get("kind", "classify"),
            "metrics": {k: v for k, v in self.metrics.items() if k in _SUMMARY},
            "epochs": self.epochs,
            "n_train": self.dataset["n_train"],
            "n_test": self.dataset["n_test"],
            "params": self.params,
            "cache_key": self.key,
            "from_cache": self.from_cache,
            "seconds": self.seconds,
        }
