"""RunResult: a run's recorded outcome, read from the cache without Keras."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np

from ..spec.figurekinds import CODES_IMAGES, DIAGRAM_PROBE, activations_probe, codes_probe
from .cache import Cache

__all__ = ["CODES_IMAGES", "DIAGRAM_PROBE", "RunResult", "activations_probe", "codes_probe", "failure_of", "mean_std"]

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
    """What a trained run left in the cache: metrics, history, sizes, timings, environment, arrays. A run with seed
    replicates reads as its first seed's (figures show that one) and holds every seed's result in `replicates`."""

    name: str
    key: str
    record: dict[str, Any]
    from_cache: bool
    cache: Cache
    seed: int | None = None
    replicates: tuple["RunResult", ...] = field(default=(), compare=False, repr=False)  # every seed's, first seed first

    @classmethod
    def of_replicates(cls, results: list["RunResult"]) -> "RunResult":
        """A run's result from its replicates' (one: that one)."""
        return results[0] if len(results) == 1 else replace(results[0], replicates=tuple(results))

    @property
    def replicated(self) -> bool:
        return len(self.replicates) > 1

    @property
    def seeds(self) -> list[int | None]:
        return [r.seed for r in self.replicates] if self.replicated else [self.seed]

    @property
    def keys(self) -> list[str]:
        """The cache entries of every replicate (one for a single run)."""
        return [r.key for r in self.replicates] if self.replicated else [self.key]

    @property
    def metrics(self) -> dict[str, float]:
        return self.record["metrics"]

    @property
    def failure(self) -> str | None:
        """Why the run failed ('loss became nan in epoch 3'), or None: a failed run's metrics are not results. A run
        with seed replicates fails when one of them does (a mean over the others would hide it)."""
        if self.replicated:
            return next((f"seed {r.seed}: {r.failure}" for r in self.replicates if r.failed), None)
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
        """The run's entry in results.json: a failed run says why, and has no metrics. A run with seed replicates has
        the mean of each metric over its seeds in `metrics`, their sample standard deviation (ddof=1) in `std`, and
        every replicate's own entry in `replicates`."""
        if not self.replicated:
            return self._own_summary()
        own = [r._own_summary() for r in self.replicates]
        out = {**own[0], "seeds": self.seeds, "metrics": {}, "std": {}, "seconds": sum(r.seconds for r in self.replicates)}
        failure = self.failure
        out.update(status="failed" if failure else "ok", **({"failure": failure} if failure else {}))
        if not failure:
            for metric in (m for m in own[0]["metrics"] if not m.endswith(("_correct", "_total"))):  # counts: per replicate
                values = [_exact(entry["metrics"], metric) for entry in own if metric in entry["metrics"]]
                if len(values) == len(own):
                    out["metrics"][metric], out["std"][metric] = mean_std(values)
        out["replicates"] = [{"seed": r.seed, **entry} for r, entry in zip(self.replicates, own)]
        return out

    def _own_summary(self) -> dict[str, Any]:
        failure = failure_of(self.record)
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


def _exact(metrics: dict[str, Any], metric: str) -> float:
    """An accuracy from its counts (correct / total, not the float32 ratio Keras gave); any other metric as stored."""
    split = metric.removesuffix("_accuracy")
    if metric.endswith("_accuracy") and metrics.get(f"{split}_total"):
        return metrics[f"{split}_correct"] / metrics[f"{split}_total"]
    return metrics[metric]


def mean_std(values: list[float]) -> tuple[float, float]:
    """The mean and the sample standard deviation (ddof=1, as numpy.std(ddof=1)) of two or more values."""
    array = np.asarray(values, dtype=np.float64)
    return float(array.mean()), float(array.std(ddof=1))
