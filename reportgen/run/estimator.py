"""fit_estimator: a scikit-learn estimator fitted on scaled pixels or on another run's codes."""

from __future__ import annotations

import importlib
import inspect
import time
from typing import Any

import numpy as np

from ..errors import RunError
from .events import FitStarted
from .job import Job

__all__ = ["ESTIMATOR_CLASSES", "estimator_class", "features_of", "fit_estimator", "pixels"]

ESTIMATOR_CLASSES = {  # spec.catalog.ESTIMATORS name -> where scikit-learn keeps it
    "SVC": "sklearn.svm", "LinearSVC": "sklearn.svm", "LogisticRegression": "sklearn.linear_model",
    "KNeighborsClassifier": "sklearn.neighbors", "RandomForestClassifier": "sklearn.ensemble",
    "GaussianNB": "sklearn.naive_bayes", "RidgeClassifier": "sklearn.linear_model",
}
_BATCH = 1024


def estimator_class(name: str) -> type:
    return getattr(importlib.import_module(ESTIMATOR_CLASSES[name]), name)


def pixels(images: np.ndarray, max_value: int) -> np.ndarray:
    """Images as the rows of a feature matrix: flattened, scaled to [0, 1], float32."""
    return images.reshape(len(images), -1).astype(np.float32) / np.float32(max_value)


def features_of(job: Job) -> tuple[np.ndarray, np.ndarray, str]:
    """(train features, test features, what they are): pixels, or a layer's output of the parent's trained model."""
    run, data = job.run, job.data
    features = run.features
    if features is None or features.run is None:
        return pixels(data.x_train, data.max_value), pixels(data.x_test, data.max_value), "pixels"
    from ..model import encoder, parent_model

    parent = job.parents[features.run]
    layer = features.layer or parent.run.code
    if tuple(data.x_train.shape[1:]) != tuple(parent.input_shape):
        raise RunError(f"{features.where}: run '{parent.run.name}' takes images of shape {tuple(parent.input_shape)}; "
                       f"this run's data are {tuple(data.x_train.shape[1:])}")
    model = encoder(parent_model(parent, job.base), layer)

    def codes(x: np.ndarray) -> np.ndarray:
        out = np.asarray(model.predict(x, batch_size=_BATCH, verbose=0), dtype=np.float32)
        return out.reshape(len(x), -1)

    return codes(data.x_train), codes(data.x_test), f"{parent.run.name}.{layer}"


def make_estimator(job: Job) -> Any:
    """The estimator with the spec's arguments; seeded where it takes a random_state."""
    spec = job.run.estimator
    cls = estimator_class(spec.kind)
    args = dict(spec.args)
    if "random_state" in inspect.signature(cls).parameters:
        args["random_state"] = job.run.training.seed
    return cls(**args)


def fit_estimator(job: Job) -> tuple[dict[str, Any], dict[str, np.ndarray], None]:
    data = job.data
    spec = job.run.estimator
    job.emit(FitStarted(job.run.name, f"{spec.kind} on {len(data.x_train):,} images"))
    start = time.perf_counter()
    x_train, x_test, source = features_of(job)
    extracted = time.perf_counter() - start
    bad = next((name for name, x in (("training", x_train), ("test", x_test)) if not np.isfinite(x).all()), None)
    if bad:  # a parent's layer that overflows: nothing an estimator can fit, and not a crash of the build
        failure = f"the {bad} features ({source}) hold nan or inf values"
        return ({"metrics": {}, "status": "failed", "failure": failure, "history": {}, "epochs": 0, "params": 0, "layers": [],
                 "input_shape": list(data.x_train.shape[1:]), "seconds": extracted}, {}, None)
    estimator = make_estimator(job)
    start = time.perf_counter()
    estimator.fit(x_train, data.y_train)
    fit_seconds = time.perf_counter() - start
    y_pred = estimator.predict(x_test)
    train_correct = int((estimator.predict(x_train) == data.y_train).sum())
    test_correct = int((np.asarray(y_pred) == data.y_test).sum())
    metrics = {"train_accuracy": train_correct / len(data.y_train), "test_accuracy": test_correct / len(data.y_test),
               "train_correct": train_correct, "train_total": len(data.y_train),
               "test_correct": test_correct, "test_total": len(data.y_test)}
    record = {
        "metrics": metrics,
        "history": {}, "epochs": 0, "params": 0, "layers": [], "input_shape": list(data.x_train.shape[1:]),
        "seconds": fit_seconds, "estimator": {"kind": job.run.estimator.kind, "args": job.run.estimator.args,
                                              "params": {k: _plain(v) for k, v in estimator.get_params().items()}},
        "features": {"source": source, "size": int(x_train.shape[1]), "seconds": extracted},
    }
    arrays = {"y_test": data.y_test.astype("int64"), "y_pred": np.asarray(y_pred).astype("int64")}
    return record, arrays, None


def _plain(value: Any) -> Any:
    return value if isinstance(value, (int, float, str, bool, type(None))) else str(value)
