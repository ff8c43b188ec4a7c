"""Fixtures for figure tests: fake histories, kernels, run results backed by an in-memory cache, and probed results."""

from __future__ import annotations

import numpy as np
import pytest

from reportgen.run.result import RunResult

CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


class FakeCache:
    """Stands in for reportgen.run.cache.Cache: arrays(key) from a dict, counting reads."""

    def __init__(self, arrays: dict[str, dict[str, np.ndarray]]):
        self._arrays = arrays
        self.reads = 0

    def arrays(self, key: str) -> dict[str, np.ndarray]:
        self.reads += 1
        return self._arrays[key]


class FakeResult:
    """Duck-types RunResult for figure adapters, with `probe(name)` serving recorded probes from a dict."""

    def __init__(self, name: str, probes: dict[str, dict[str, np.ndarray]], *, arrays=None, layers=None):
        self.name = name
        self.arrays = arrays or {}
        self.layers = layers or []
        self.record = {"layers": self.layers, "input_shape": [32, 32, 3], "dataset": {"classes": list(CLASSES)}}
        self.dataset = self.record["dataset"]
        self._probes = probes
        self.probed: list[str] = []

    def probe(self, name: str) -> dict[str, np.ndarray]:
        self.probed.append(name)
        return self._probes[name]


def history(epochs: int, seed: int = 0, validation: bool = True) -> dict[str, list[float]]:
    rng = np.random.default_rng(seed)
    acc = np.clip(np.linspace(0.2, 0.6, epochs) + rng.normal(0, 0.01, epochs), 0, 1)
    loss = np.linspace(2.0, 1.0, epochs) + rng.normal(0, 0.01, epochs)
    out = {"loss": loss.tolist(), "accuracy": acc.tolist()}
    if validation:
        out.update(val_loss=(loss + 0.1).tolist(), val_accuracy=(acc - 0.05).tolist())
    return out


def make_result(name: str, *, input_shape=(32, 32, 3), layers=None, arrays=None, hist=None, classes=CLASSES) -> RunResult:
    rng = np.random.default_rng(1)
    n_in = int(np.prod(input_shape))
    layers = layers if layers is not None else [{"name": "dense", "kind": "Dense", "output_shape": [len(classes)], "params": (n_in + 1) * len(classes)}]
    if arrays is None:
        y = rng.integers(0, len(classes), 50)
        arrays = {"weights/dense/0": rng.normal(size=(n_in, len(classes))), "weights/dense/1": np.zeros(len(classes)),
                  "y_test": y, "y_pred": np.where(rng.random(50) < 0.5, y, rng.integers(0, len(classes), 50))}
    record = {"history": hist or history(5), "layers": layers, "input_shape": list(input_shape),
              "dataset": {"classes": list(classes)}, "epochs": 5}
    return RunResult(name, f"key-{name}", record, True, FakeCache({f"key-{name}": arrays}))


@pytest.fixture
def results() -> dict[str, RunResult]:
    return {"dense1": make_result("dense1"), "mlp": make_result("mlp", hist=history(12, seed=3))}
