"""Best-model checkpoints: the run reports the model of its best epoch (metrics, saved model, table) and which epoch that was."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest

from reportgen.cli import main
from reportgen.data import load
from reportgen.report.tables import make_table
from reportgen.run import Cache, RunResult
from reportgen.run.train import _BestCheckpoint, _restore_best
from reportgen.spec import load_spec

CHECKPOINTED = """\
title: Checkpoints
datasets:
  images: {source: digits}
  flat: {source: digits, flatten: true}
training:
  epochs: 6
  batch_size: 64
  seed: 1
  validation: test
  callbacks: [{ModelCheckpoint: {monitor: val_accuracy, save_best_only: true}}]
runs:
  kept:
    dataset: images
    model:
      - Conv2D: {filters: 8, kernel_size: 3, activation: relu}
      - Flatten
      - Dense: {units: 10, activation: softmax}
    training: {learning_rate: 0.05}
  plain:
    dataset: flat
    model: [{Dense: {units: 10, activation: softmax}}]
    training: {epochs: 2, callbacks: []}
report:
  sections:
    - title: Results
      content:
        - table: {columns: [run, test_accuracy, callback, best_epoch]}
"""


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One real build through the CLI, shared by the tests of this module."""
    tmp = tmp_path_factory.mktemp("checkpoint")
    file = tmp / "checkpoints.yaml"
    file.write_text(CHECKPOINTED)
    cache = Cache(tmp / "cache")
    assert main(["report", str(file), "--out", str(tmp / "out"), "--cache", str(cache.root)]) == 0
    results = json.loads((tmp / "out" / "results.json").read_text())
    spec = load_spec(file)
    runs = {name: RunResult(name, run["cache_key"], cache.read(run["cache_key"]), False, cache) for name, run in results["runs"].items()}
    return {"spec": spec, "cache": cache, "runs": runs, "out": tmp / "out"}


def test_best_epoch_is_the_first_epoch_of_the_best_validation_accuracy(build: dict) -> None:
    record = build["runs"]["kept"].record
    history = record["history"]["val_accuracy"]
    assert record["epochs"] == len(history) == 6
    kept = record["checkpoint"]
    assert (kept["monitor"], kept["mode"]) == ("val_accuracy", "max")
    assert kept["best_epoch"] == 1 + int(np.argmax(history))  # argmax: the first of equal maxima, as Keras keeps it
    assert kept["best_value"] == pytest.approx(max(history), abs=1e-7)


def test_metrics_are_those_of_the_kept_model(build: dict) -> None:
    """Validation is the test set, so the kept model's test accuracy is the best validation accuracy, not the last."""
    record = build["runs"]["kept"].record
    assert record["metrics"]["test_accuracy"] == pytest.approx(max(record["history"]["val_accuracy"]), abs=1e-6)
    assert record["metrics"]["test_loss"] == pytest.approx(record["history"]["val_loss"][record["checkpoint"]["best_epoch"] - 1], rel=1e-4)


def test_saved_model_is_the_kept_model(build: dict) -> None:
    run = build["runs"]["kept"]
    model = keras.models.load_model(build["cache"].entry(run.key) / "model.keras")
    data = load("digits")
    scores = model.evaluate(data.x_test, keras.utils.to_categorical(data.y_test, 10), batch_size=1024, verbose=0, return_dict=True)
    assert scores["accuracy"] == pytest.approx(run.metrics["test_accuracy"], abs=1e-5)
    assert scores["loss"] == pytest.approx(run.metrics["test_loss"], abs=1e-5)
    conv = next(layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D))
    np.testing.assert_array_equal(conv.get_weights()[0], run.arrays[f"weights/{conv.name}/0"])  # the figures' weights too


def test_a_run_without_checkpoint_keeps_its_last_epoch(build: dict) -> None:
    record = build["runs"]["plain"].record
    assert "checkpoint" not in record and record["epochs"] == 2


def test_callback_and_best_epoch_columns(build: dict) -> None:
    runs, spec = build["runs"], build["spec"]
    best = runs["kept"].record["checkpoint"]["best_epoch"]
    table = make_table(["kept", "plain"], ["callback", "best_epoch"], spec.runs, runs)
    assert table["rows"] == [[f"best val_accuracy, epoch {best} of 6", str(best)], ["no", "2"]]
    html = (build["out"] / "report.html").read_text()
    assert f"best val_accuracy, epoch {best} of 6" in html


def _tiny_model() -> keras.Model:
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="softmax", name="out")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    model.evaluate(np.zeros((2, 2)), np.eye(2), verbose=0)  # metrics built, as after an epoch of fit
    return model


@pytest.mark.parametrize(("monitor", "values", "best", "mode"), [
    ("val_accuracy", [0.5, 0.8, 0.7, 0.8, 0.6], 2, "max"),  # a tie later is no improvement; the end is worse
    ("val_loss", [1.0, 0.4, 0.6, 0.3, 0.9], 4, "min"),
])
def test_best_checkpoint_tracks_the_best_epoch_not_the_last(tmp_path: Path, monitor: str, values: list[float], best: int, mode: str) -> None:
    model = _tiny_model()
    callback = _BestCheckpoint(tmp_path / "best.weights.h5", monitor=monitor, save_best_only=True)
    callback.set_model(model)
    layer = model.get_layer("out")
    for epoch, value in enumerate(values):
        layer.set_weights([np.full((2, 2), epoch, "float32"), np.full(2, epoch, "float32")])  # each epoch's weights recognisable
        callback.on_epoch_begin(epoch)
        callback.on_epoch_end(epoch, {monitor: value, "loss": 1.0})
        assert callback.best_epoch == 1 + int(np.argmax(values[:epoch + 1]) if mode == "max" else np.argmin(values[:epoch + 1]))
    kept = _restore_best(model, [keras.callbacks.History(), callback])
    assert kept == {"monitor": monitor, "mode": mode, "best_epoch": best, "best_value": pytest.approx(values[best - 1])}
    np.testing.assert_array_equal(layer.get_weights()[0], np.full((2, 2), best - 1))  # the best epoch's weights are back


def test_nothing_is_restored_without_a_best_only_checkpoint(tmp_path: Path) -> None:
    model = _tiny_model()
    callback = _BestCheckpoint(tmp_path / "all.weights.h5", monitor="val_accuracy", save_best_only=False)
    callback.set_model(model)
    callback.on_epoch_begin(0)
    callback.on_epoch_end(0, {"val_accuracy": 0.5})
    assert callback.best_epoch is None and _restore_best(model, [callback]) is None
