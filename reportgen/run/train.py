"""Keras training shared by the run kinds (compile, fit with phases and checkpoints, scores), and the classifier."""

from __future__ import annotations

import logging
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

import keras

from ..errors import RunError
from ..limits import limit
from ..model import Parent, base_of, build_model, copy_layers, count_params_by_layer
from ..model.build import widest_output
from ..spec import CallbackSpec, DatasetSpec, RunSpec
from .job import Job
from .events import Emit, EpochEnded, RunStarted, Step

__all__ = ["Fitted", "accuracy_counts", "compile_options", "compiled_model", "devices", "evaluation_failure", "failed_run", "fit_model", "train_classifier",
           "train_started", "weight_arrays"]

logging.getLogger("tensorflow").setLevel(logging.ERROR)  # retracing notices are not the user's business

_OPTIMIZERS = {"adam": "Adam", "adamw": "AdamW", "sgd": "SGD", "rmsprop": "RMSprop", "adagrad": "Adagrad", "nadam": "Nadam"}
_EVAL_BATCH = 1024  # forward-only batches, as large as limit('batch_values') allows (eval_batch)


class _ProgressCallback(keras.callbacks.Callback):
    def __init__(self, emit: Emit, steps_per_epoch: int):
        super().__init__()
        self.emit = emit
        self.steps = steps_per_epoch
        self.epoch = 0

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self.epoch = epoch

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        self.emit(Step(self.epoch * self.steps + batch + 1, self.epoch, _floats(logs)))

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self.emit(Step((epoch + 1) * self.steps, epoch, _floats(logs)))
        self.emit(EpochEnded(epoch, _floats(logs)))


class _NonFiniteGuard(keras.callbacks.Callback):
    """keras.callbacks.TerminateOnNaN that says when: a nan or inf training loss (checked after each compiled call),
    or validation loss at an epoch's end, stops training, and `failure` says which loss and in which epoch."""

    def __init__(self) -> None:
        super().__init__()
        self.epoch = 0
        self.failure: str | None = None

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self.epoch = epoch

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        self._check(logs, ("loss",))

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self._check(logs, ("loss", "val_loss"))

    def _check(self, logs: Any, keys: tuple[str, ...]) -> None:
        if self.failure is not None:
            return
        for key in keys:
            value = (logs or {}).get(key)
            if value is not None and np.ndim(value) == 0 and not np.isfinite(float(value)):
                self.failure = f"{key} became {_nonfinite(float(value))} in epoch {self.epoch + 1}"
                self.model.stop_training = True
                return


def _nonfinite(value: float) -> str:
    return "nan" if np.isnan(value) else "inf" if value > 0 else "-inf"


def evaluation_failure(metrics: dict[str, float], epochs: int) -> str | None:
    """Why a trained run's final scores are not results: a nan or inf metric (the test set's first), else None."""
    for key in sorted(metrics, key=lambda k: not k.startswith("test_")):
        if not np.isfinite(metrics[key]):
            return f"{key} became {_nonfinite(metrics[key])} at evaluation after epoch {epochs}"
    return None


def failed_run(fitted: "Fitted", model: keras.Model, input_shape: tuple[int, ...],
               failure: str | None = None) -> tuple[dict[str, Any], dict[str, np.ndarray], None]:
    """A run whose loss went nan or inf: its history up to the failure and its sizes, no metrics, no arrays, no model
    (nothing a figure or a child could use)."""
    fitted.failure = failure or fitted.failure
    return {"metrics": {}, **fitted.record(), **model_record(model, input_shape)}, {}, None


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
                   base: Path | None = None, parents: dict[str, Parent] | None = None) -> keras.Model:
    """The run's model, seeded, at its precision, its weights started from its parent's (`from:`), compiled as
    reportgen trains it (benchmarks time this too)."""
    t = run.training
    keras.utils.set_random_seed(t.seed)
    keras.mixed_precision.set_global_policy(t.precision)
    start = run.start
    try:
        inherited = base_of(start, parents[start.run], input_shape, base) if start and start.upto else None
        model = build_model(run.model, dataset, input_shape, max_value, run.name, base=base, start=inherited)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    if start and start.layers:
        copy_layers(model, start, parents[start.run], base)
    model.compile(optimizer=_optimizer(t, t.learning_rate), loss=t.loss, metrics=list(t.metrics), **compile_options(t.batch_size))
    return model


class Fitted:
    """What fitting left besides the model: the history over all phases, the phases, the checkpoint kept, the time,
    and why the run failed (a nan or inf loss), if it did."""

    def __init__(self, history: dict[str, list[float]], phases: list[dict[str, Any]], kept: dict[str, Any] | None, seconds: float,
                 failure: str | None = None):
        self.history, self.phases, self.kept, self.seconds, self.failure = history, phases, kept, seconds, failure

    @property
    def epochs(self) -> int:
        return len(self.history.get("loss", []))

    def record(self) -> dict[str, Any]:
        out: dict[str, Any] = {"history": self.history, "epochs": self.epochs, "seconds": self.seconds}
        if self.phases:
            out["phases"] = self.phases
        if self.kept:
            out["checkpoint"] = self.kept
        if self.failure:
            out.update(status="failed", failure=self.failure)
        return out


def fit_model(job: Job, model: keras.Model, x: Any, y: Any, x_test: Any, y_test: Any, x_val: Any = None, y_val: Any = None) -> Fitted:
    """Seeded training (a head phase, then a fine-tuning phase if declared), the best checkpoint restored; a nan or inf
    loss stops it (Fitted.failure says when)."""
    run, t = job.run, job.run.training
    fit: dict[str, Any] = {"validation_batch_size": eval_batch(model)}  # large forward-only batches: the epoch's check is short
    if t.validation == "test":  # as some sheets ask; a callback that selects on it makes the test numbers not held out
        fit["validation_data"] = (x_test, y_test)
    elif x_val is not None:  # the held-out part of the training images (run.prepared.validation_split)
        fit["validation_data"] = (x_val, y_val)
    steps = _steps(job, len(x))
    guard = _NonFiniteGuard()
    callbacks = [_ProgressCallback(job.emit, steps), guard, *(_callback(c, job.workdir) for c in t.callbacks)]
    start = time.perf_counter()
    phases: list[dict[str, Any]] = []
    history = _fit(run, model, x, y, 0, t.epochs, callbacks, fit).history
    if t.fine_tune and guard.failure is None:
        head = history
        done = len(head.get("loss", []))
        phases.append({"name": "head", "epochs": done, "test": scores(model, x_test, y_test)})
        _fine_tuning(model, t)
        tuned = _fit(run, model, x, y, done, done + t.fine_tune.epochs, callbacks, fit).history
        phases.append({"name": "fine-tune", "epochs": len(tuned.get("loss", [])), "unfrozen": t.fine_tune.layers,
                       "learning_rate": t.fine_tune.learning_rate})
        history = {k: list(head.get(k, [])) + list(tuned.get(k, [])) for k in {*head, *tuned}}
    seconds = time.perf_counter() - start
    kept = _restore_best(model, callbacks) if guard.failure is None else None
    return Fitted({k: [float(v) for v in values] for k, values in history.items()}, phases, kept, seconds, guard.failure)


def train_started(job: Job) -> None:
    """Tell the UI a Keras run starts: its epochs and steps per epoch."""
    job.emit(RunStarted(job.run.name, job.run.training.total_epochs, _steps(job, len(job.data.x_train))))


def _steps(job: Job, n: int) -> int:
    """Steps per epoch over the images trained on (a validation split is already out of them)."""
    return max(1, -(-n // job.run.training.batch_size))


def weight_arrays(model: keras.Model) -> dict[str, np.ndarray]:
    """Every layer's weights as 'weights/<layer>/<i>' (what figures read, and what children start from)."""
    return {f"weights/{layer.name}/{i}": np.asarray(w) for layer in model.layers for i, w in enumerate(layer.get_weights())}


def model_record(model: keras.Model, input_shape: tuple[int, ...]) -> dict[str, Any]:
    return {"params": int(model.count_params()), "layers": count_params_by_layer(model), "input_shape": list(input_shape)}


def train_classifier(job: Job) -> tuple[dict[str, Any], dict[str, np.ndarray], keras.Model]:
    """A classifier: fitted on (images, labels), then metrics on the whole train and test sets; the model is saved
    in the job's work folder (and returned, for its probes). A nan or inf loss in training or at evaluation: a failed
    run (failed_run)."""
    run, data = job.run, job.data
    model = compiled_model(run, job.dataset, data.x_train.shape[1:], data.max_value, job.base, job.parents)
    train_started(job)
    n_classes = len(data.class_names)
    y_train, y_test = _labels(data.y_train, job.dataset, n_classes), _labels(data.y_test, job.dataset, n_classes)
    y_val = _labels(data.y_val, job.dataset, n_classes) if data.x_val is not None else None
    fitted = fit_model(job, model, data.x_train, y_train, data.x_test, y_test, data.x_val, y_val)
    if fitted.failure:
        return failed_run(fitted, model, data.x_train.shape[1:])
    train_scores, test_scores = scores(model, data.x_train, y_train), scores(model, data.x_test, y_test)
    metrics = {**{f"train_{k}": v for k, v in train_scores.items()}, **{f"test_{k}": v for k, v in test_scores.items()}}
    failure = evaluation_failure(metrics, fitted.epochs)
    if not failure:
        metrics.update(accuracy_counts(metrics, {"train": len(data.x_train), "test": len(data.x_test)}))
    if failure:
        return failed_run(fitted, model, data.x_train.shape[1:], failure)
    probabilities = model.predict(data.x_test, batch_size=eval_batch(model), verbose=0)
    model.save(job.workdir / "model.keras")
    arrays = weight_arrays(model)
    arrays["y_test"] = data.y_test.astype("int64")
    arrays["y_pred"] = probabilities.argmax(axis=-1).astype("int64")
    return {"metrics": metrics, **fitted.record(), **model_record(model, data.x_train.shape[1:])}, arrays, model


def _fit(run: RunSpec, model: keras.Model, x: Any, y: Any, initial_epoch: int, epochs: int, callbacks: list, fit: dict) -> Any:
    try:
        return model.fit(x, y, batch_size=run.training.batch_size, epochs=epochs, initial_epoch=initial_epoch, verbose=0,
                         callbacks=callbacks, shuffle=True, **fit)
    except (ValueError, TypeError) as exc:
        raise RunError(f"run '{run.name}' cannot train: {str(exc).splitlines()[0]}") from exc


def accuracy_counts(metrics: dict[str, float], sizes: dict[str, int]) -> dict[str, float | int]:
    """Each split's accuracy as a count of correct images (exact: Keras sums ones in float32, so accuracy x images is
    within 2^-24 x images of a whole number) and the ratio recomputed from it, so a report rounds the true value."""
    out: dict[str, float | int] = {}
    for split, total in sizes.items():
        if f"{split}_accuracy" in metrics and total:
            correct = int(round(metrics[f"{split}_accuracy"] * total))
            out.update({f"{split}_correct": correct, f"{split}_total": int(total), f"{split}_accuracy": correct / total})
    return out


def scores(model: keras.Model, x: Any, y: Any) -> dict[str, float]:
    return {k: float(v) for k, v in model.evaluate(x, y, batch_size=eval_batch(model), verbose=0, return_dict=True).items()}


def eval_batch(model: keras.Model) -> int:
    """Images per forward-only batch: 1,024, fewer for a model whose widest layer would pass limit('batch_values')."""
    return max(1, min(_EVAL_BATCH, limit("batch_values") // max(1, widest_output(model))))


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
