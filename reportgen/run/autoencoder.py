"""train_autoencoder: a reconstruct run (target: its own clean input), its reconstruction errors, code and samples."""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np

from ..model import decoder, encoder
from .job import Job
from .noise import add_noise
from .train import (compiled_model, eval_batch, evaluation_failure, failed_run, fit_model, model_record, scores, train_started,
                    weight_arrays)

__all__ = ["SAMPLES", "psnr", "train_autoencoder"]

SAMPLES = 32  # test images kept with their noisy inputs and reconstructions (the reconstructions figure)


def psnr(mse: np.ndarray) -> np.ndarray:
    """Peak signal-to-noise ratio in dB of images in [0, 1] from their mean squared errors (capped at 100 dB)."""
    return 10 * np.log10(1.0 / np.maximum(mse, 1e-10))


def _targets(x: np.ndarray, max_value: int, scale: bool, shape: tuple[int, ...]) -> np.ndarray:
    """The clean images as the model outputs them: in [0, 1] when the dataset is scaled, in the model's output shape."""
    y = x.astype(np.float32) / (max_value if scale else 1.0)
    return y.reshape((len(x), *shape))


def _errors(model: keras.Model, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each image's mean squared error between its reconstruction and its clean target."""
    out = np.asarray(model.predict(x, batch_size=eval_batch(model), verbose=0), dtype=np.float32)
    return ((out - y) ** 2).reshape(len(x), -1).mean(axis=1)


def train_autoencoder(job: Job) -> tuple[dict[str, Any], dict[str, np.ndarray], keras.Model]:
    run, data, t = job.run, job.data, job.run.training
    model = compiled_model(run, job.dataset, data.x_train.shape[1:], data.max_value, job.base, job.parents)
    train_started(job)
    shape = tuple(model.output.shape[1:])
    y_train = _targets(data.x_train, data.max_value, job.dataset.scale, shape)
    y_test = _targets(data.x_test, data.max_value, job.dataset.scale, shape)
    x_train, x_test, x_val = data.x_train, data.x_test, data.x_val
    y_val = _targets(x_val, data.max_value, job.dataset.scale, shape) if x_val is not None else None
    if run.noise:
        x_train = add_noise(data.x_train, run.noise, data.max_value, t.seed, stream=0)
        x_test = add_noise(data.x_test, run.noise, data.max_value, t.seed, stream=1)
        x_val = add_noise(x_val, run.noise, data.max_value, t.seed, stream=2) if x_val is not None else None
    fitted = fit_model(job, model, x_train, y_train, x_test, y_test, x_val, y_val)
    if fitted.failure:  # a nan or inf loss: no reconstructions, codes or scores to show
        return failed_run(fitted, model, data.x_train.shape[1:])
    train_err, test_err = _errors(model, x_train, y_train), _errors(model, x_test, y_test)
    metrics = {"train_mse": float(train_err.mean()), "test_mse": float(test_err.mean()),
               "train_psnr": float(psnr(train_err).mean()), "test_psnr": float(psnr(test_err).mean()),
               **{f"test_{k}": v for k, v in scores(model, x_test, y_test).items()}}
    failure = evaluation_failure(metrics, fitted.epochs)
    if failure:
        return failed_run(fitted, model, data.x_train.shape[1:], failure)
    if run.noise:  # what the noise alone costs: the noisy input against the clean image
        noisy = _targets(x_test, data.max_value, job.dataset.scale, shape)
        noisy_err = ((noisy - y_test) ** 2).reshape(len(x_test), -1).mean(axis=1)
        metrics.update(noisy_mse=float(noisy_err.mean()), noisy_psnr=float(psnr(noisy_err).mean()))
    n = min(SAMPLES, len(x_test))
    arrays = weight_arrays(model)
    arrays.update({"y_test": data.y_test.astype("int64"), "samples/original": np.asarray(data.x_test[:n]),
                   "samples/input": np.asarray(x_test[:n])})
    record: dict[str, Any] = {"metrics": metrics, **fitted.record(), **model_record(model, data.x_train.shape[1:])}
    if run.code:  # the reconstructions go through the encoder, then the decoder: the sub-models by layer name
        codes = encoder(model, run.code).predict(x_test[:n], verbose=0)
        arrays["samples/output"] = np.asarray(decoder(model, run.code).predict(codes, verbose=0), dtype=np.float32)
        size = int(math.prod(codes.shape[1:]))
        record["code"] = {"layer": run.code, "shape": [int(d) for d in codes.shape[1:]], "size": size,
                          "bytes": size * 4, "input_size": int(math.prod(data.x_train.shape[1:])),
                          "input_bytes": int(math.prod(data.x_train.shape[1:])) * data.x_train.dtype.itemsize}
    else:
        arrays["samples/output"] = np.asarray(model.predict(x_test[:n], verbose=0), dtype=np.float32)
    model.save(job.workdir / "model.keras")
    return record, arrays, model
