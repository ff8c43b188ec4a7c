"""train_run: one RunSpec on prepared data -> its record and arrays (the only module that trains)."""

from __future__ import annotations

import logging
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

import keras

from ..errors import RunError
from ..model import build_model, count_params_by_layer
from ..spec import CallbackSpec, DatasetSpec, RunSpec
from ..data import Dataset
from .progress import TrainingProgress

__all__ = ["compile_options", "compiled_model", "devices", "train_run"]

logging.getLogger("tensorflow").setLevel(logging.ERROR)  # retracing notices are not the user's business

_OPTIMIZERS = {"adam": "Adam", "adamw": "AdamW", "sgd": "SGD", "rmsprop": "RMSprop", "adagrad": "Adagrad", "nadam": "Nadam"}
_EVAL_BATCH = 1024


class _ProgressCallback(keras.callbacks.Callback):
    def __init__(self, progress: TrainingProgress, steps_per_epoch: int):
        super().__init__()
        self.progress = progress
        self.steps = steps_per_epoch
        self.epoch = 0

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self.epoch = epoch

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        self.progress.step(self.epoch * self.steps + batch + 1, self.epoch, _floats(logs))

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self.progress.step((epoch + 1) * self.steps, epoch, _floats(logs))
        self.progress.end_epoch(epoch, _floats(logs))


def _floats(logs: Any) -> dict[str, float]:
    return {k: float(v) for k, v in (logs or {}).items() if np.ndim(v) == 0}


class _BestCheckpoint(keras.callbacks.ModelCheckpoint):
    """Keras' ModelCheckpoint (weights only, in the run's work folder) that also remembers the epoch it kept."""

    def __init__(self, filepath: Path, **kwargs: Any):
        super().__init__(str(filepath), save_weights_only=True, **kwargs)
        self.best_epoch: int | None = None

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        before = self.best
        super().on_epoch_end(epoch, logs)
        if self.save_best_only and self.best != before:
            self.best_epoch = epoch + 1


def _callback(spec: CallbackSpec, workdir: Path) -> keras.callbacks.Callback:
    if spec.kind == "ModelCheckpoint":
        return _BestCheckpoint(workdir / "best.weights.h5", **spec.args)
    return getattr(keras.callbacks, spec.kind)(**spec.args)


def _optimizer(t: Any, learning_rate: float) -> keras.optimizers.Optimizer:
    return getattr(keras.optimizers, _OPTIMIZERS[t.optimizer])(learning_rate=learning_rate, **t.optimizer_args)


def _labels(y: np.ndarray, dataset: DatasetSpec, n_classes: int) -> np.ndarray:
    return keras.utils.to_categorical(y, n_classes).astype("float32") if dataset.labels == "one_hot" else y


def compile_options(batch_size: int) -> dict[str, Any]:
    """How reportgen compiles a model (measured in benchmarks/throughput.py): compiled steps where the backend
    has them; on TensorFlow several steps per call, so small models do not wait on Python between batches
    (the simple CNN: 14.7 -> 11.4 ms/step on 2 CPU cores; on JAX's CPU backend it cost 5%, so not there)."""
    steps = 8 if keras.backend.backend() == "tensorflow" else 1
    return {"jit_compile": "auto", "steps_per_execution": steps}


def compiled_model(run: RunSpec, dataset: DatasetSpec, input_shape: tuple[int, ...], max_value: int,
                   base: Path | None = None) -> keras.Model:
    """The run's model, seeded, at its precision, compiled as reportgen trains it (benchmarks time this too)."""
    t = run.training
    keras.utils.set_random_seed(t.seed)
    keras.mixed_precision.set_global_policy(t.precision)
    try:
        model = build_model(run.model, dataset, input_shape, max_value, run.name, base=base)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    model.compile(optimizer=_optimizer(t, t.learning_rate), loss=t.loss, metrics=list(t.metrics), **compile_options(t.batch_size))
    return model


def train_run(run: RunSpec, dataset: DatasetSpec, data: Dataset, progress: TrainingProgress, workdir: Path,
              base: Path | None = None) -> tuple[dict[str, Any], dict[str, np.ndarray], keras.Model]:
    """Seeded training (a head phase, then a fine-tuning phase if declared), the best checkpoint restored,
    then metrics on the whole train and test sets; the model is saved in workdir (and returned, for its probes)."""
    t = run.training
    model = compiled_model(run, dataset, data.x_train.shape[1:], data.max_value, base)
    n_classes = len(data.class_names)
    y_train, y_test = _labels(data.y_train, dataset, n_classes), _labels(data.y_test, dataset, n_classes)
    fit: dict[str, Any] = {"validation_batch_size": _EVAL_BATCH}  # large forward-only batches: the epoch's check is short
    if t.validation == "test":
        fit["validation_data"] = (data.x_test, y_test)
    elif isinstance(t.validation, float):
        fit["validation_split"] = t.validation
    n_fit = len(data.x_train) if not isinstance(t.validation, float) else int(len(data.x_train) * (1 - t.validation))
    steps = max(1, -(-n_fit // t.batch_size))
    callbacks = [_ProgressCallback(progress, steps), *(_callback(c, workdir) for c in t.callbacks)]
    start = time.perf_counter()
    phases: list[dict[str, Any]] = []
    history = _fit(run, model, data.x_train, y_train, 0, t.epochs, callbacks, fit)
    if t.fine_tune:
        head = history.history
        done = len(head.get("loss", []))
        phases.append({"name": "head", "epochs": done, "test": _scores(model, data.x_test, y_test)})
        _fine_tuning(model, t)
        tuned = _fit(run, model, data.x_train, y_train, done, done + t.fine_tune.epochs, callbacks, fit).history
        phases.append({"name": "fine-tune", "epochs": len(tuned.get("loss", [])), "unfrozen": t.fine_tune.layers,
                       "learning_rate": t.fine_tune.learning_rate})
        history.history = {k: list(head.get(k, [])) + list(tuned.get(k, [])) for k in {*head, *tuned}}
    seconds = time.perf_counter() - start
    kept = _restore_best(model, callbacks)
    train_scores, test_scores = _scores(model, data.x_train, y_train), _scores(model, data.x_test, y_test)
    probabilities = model.predict(data.x_test, batch_size=_EVAL_BATCH, verbose=0)
    metrics = {**{f"train_{k}": v for k, v in train_scores.items()}, **{f"test_{k}": v for k, v in test_scores.items()}}
    model.save(workdir / "model.keras")
    layers = count_params_by_layer(model)
    arrays = {f"weights/{layer.name}/{i}": np.asarray(w) for layer in model.layers for i, w in enumerate(layer.get_weights())}
    arrays["y_test"] = data.y_test.astype("int64")
    arrays["y_pred"] = probabilities.argmax(axis=-1).astype("int64")
    record = {
        "metrics": metrics,
        "history": {k: [float(x) for x in v] for k, v in history.history.items()},
        "epochs": len(history.history.get("loss", [])),
        "params": int(model.count_params()),
        "layers": layers,
        "input_shape": list(data.x_train.shape[1:]),
        "seconds": seconds,
    }
    if phases:
        record["phases"] = phases
    if kept:
        record["checkpoint"] = kept
    return record, arrays, model


def _fit(run: RunSpec, model: keras.Model, x: Any, y: Any, initial_epoch: int, epochs: int, callbacks: list, fit: dict) -> Any:
    try:
        return model.fit(x, y, batch_size=run.training.batch_size, epochs=epochs, initial_epoch=initial_epoch, verbose=0,
                         callbacks=callbacks, shuffle=True, **fit)
    except (ValueError, TypeError) as exc:
        raise RunError(f"run '{run.name}' cannot train: {str(exc).splitlines()[0]}") from exc


def _scores(model: keras.Model, x: Any, y: Any) -> dict[str, float]:
    return {k: float(v) for k, v in model.evaluate(x, y, batch_size=_EVAL_BATCH, verbose=0, return_dict=True).items()}


def _fine_tuning(model: keras.Model, t: Any) -> None:
    """Phase 2 of the Keras transfer-learning guide: the top layers of each backbone trainable, a lower learning rate."""
    from ..model.backbones import unfreeze_top

    unfreeze_top(model, t.fine_tune.layers)
    model.compile(optimizer=_optimizer(t, t.fine_tune.learning_rate), loss=t.loss, metrics=list(t.metrics),
                  **compile_options(t.batch_size))


def _restore_best(model: keras.Model, callbacks: list) -> dict[str, Any] | None:
    """Load the weights a best-only ModelCheckpoint kept; what it kept and from which epoch, for the record."""
    for callback in callbacks:
        if isinstance(callback, _BestCheckpoint) and callback.best_epoch is not None:
            with warnings.catch_warnings():  # a best epoch of the head phase: its optimizer state is not the fine-tuning one's
                warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
                model.load_weights(callback.filepath)
            return {"monitor": callback.monitor, "mode": "max" if callback.monitor_op is keras.ops.greater else "min",
                    "best_epoch": callback.best_epoch, "best_value": float(callback.best)}
    return None


def devices() -> list[str]:
    """The devices the backend computes on, for the manifest."""
    backend = keras.backend.backend()
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            return [f"{d.device_type}:{d.name.rsplit(':', 1)[-1]}" for d in tf.config.list_logical_devices()]
        if backend == "jax":
            import jax

            return [str(d) for d in jax.devices()]
        if backend == "torch":
            import torch

            return [torch.cuda.get_device_name(0)] if torch.cuda.is_available() else ["cpu"]
    except Exception:  # the manifest is informative; never fail a run over it
        pass
    return [backend]
