"""What a run is, in the report's words, for any run kind: its architecture, its training and the data it used."""

from __future__ import annotations

from typing import Any, Mapping

from ..spec import RunSpec
from .notation import architecture, hyperparameters

__all__ = ["estimator_text", "run_architecture", "run_data", "run_failure", "run_training", "start_text"]


def run_failure(result: Any) -> str | None:
    """Why a run failed ('loss became nan in epoch 3'), or None: run.result.RunResult.failure, else its record's
    status (results that only carry a record)."""
    failure = getattr(result, "failure", None)
    if failure is None and (getattr(result, "record", None) or {}).get("status") == "failed":
        failure = str(result.record.get("failure") or "failed")
    return failure


def estimator_text(run: RunSpec) -> str:
    """'SVC(C=10, kernel=rbf)'."""
    spec = run.estimator
    return f"{spec.kind}({', '.join(f'{k}={v}' for k, v in spec.args.items())})"


def _features(run: RunSpec) -> str:
    features = run.features
    return "pixels" if features is None or features.run is None else f"codes of {features.run} ({features.layer or 'its code layer'})"


def start_text(run: RunSpec) -> str:
    """Where the weights start: 'fresh', 'm1 up to enc3, frozen', 'ae's dense1, dense2, trainable'."""
    start = run.start
    if run.kind == "estimator":
        return "n/a (fitted on its features)"
    if start is None:
        return "fresh"
    state = "trainable" if start.trainable else "frozen"
    if start.upto:
        return f"{start.run} up to {start.upto}, {state}"
    return f"{start.run}'s {', '.join(start.layers)}, {state}"


def run_architecture(run: RunSpec) -> str:
    """The sheet's notation; an estimator by its class and arguments; an inherited base named first."""
    if run.kind == "estimator":
        return f"{estimator_text(run)} on {_features(run)}"
    body = architecture(run.model)
    if run.start and run.start.upto:
        return f"[{run.start.run} up to {run.start.upto}]; {body}"
    return body


def run_training(run: RunSpec, epochs_run: int | None = None) -> str:
    """Hyper-parameters of a Keras run (with its task's extras); a fitted estimator's seed."""
    if run.kind == "estimator":
        return f"fitted once; seed {run.training.seed}"
    parts = [hyperparameters(run.training, epochs_run)]
    if run.task == "reconstruct":
        parts.append("target: the clean input" + (f"; Gaussian noise ×{run.noise:g} on the inputs" if run.noise else ""))
    if run.start:
        parts.append(f"weights from {start_text(run)}")
    return "; ".join(parts)


def run_data(run: RunSpec, dataset: Mapping[str, Any]) -> str:
    """How the run used its dataset: all of it, a labelled budget, or a pool of splits (test images included)."""
    if "labels" in dataset:
        return f"{dataset['labels']:,} labelled training images (stratified, seed {run.training.seed})"
    if "pool" in dataset:
        return f"images of {' + '.join(dataset['pool'])} ({dataset['n_train']:,}), labels unused; test metrics not held out"
    if run.task == "reconstruct":
        return f"{dataset['n_train']:,} training images, labels unused"
    return f"{dataset['n_train']:,} training images"
