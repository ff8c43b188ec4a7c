"""What a run is, in the report's words, for any run kind: its architecture, its training and the data it used."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from ..spec import RunSpec
from .notation import architecture, hyperparameters

__all__ = ["estimator_text", "layer_split", "non_trainable", "params_text", "run_architecture", "run_data", "run_failure",
           "run_training", "run_training_parts", "start_text"]


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
    return "; ".join(run_training_parts(run, epochs_run))


def run_training_parts(run: RunSpec, epochs_run: int | None = None) -> list[str]:
    """run_training's parts, one setting each ('adam lr=0.001', 'batch 32', '20 epochs', ...): what a table shares
    between its rows is told once, in its caption."""
    if run.kind == "estimator":
        return ["fitted once", f"seed {run.training.seed}"]
    parts = hyperparameters(run.training, epochs_run).split("; ")  # no part holds '; ' (callback arguments are joined by ', ')
    if run.task == "reconstruct":
        parts.append("target: the clean input")
        if run.noise:
            parts.append(f"Gaussian noise ×{run.noise:g} on the inputs")
    if run.start:
        parts.append(f"weights from {start_text(run)}")
    return parts


def layer_split(layer: Mapping[str, Any]) -> tuple[int, int]:
    """(trainable, non-trainable) parameters of one layer of a record (build.count_params_by_layer's rows).

    A record that says so itself ('trainable' / 'non_trainable') is believed. Otherwise the split follows from the kind:
    a BatchNormalization layer holds gamma and beta (trained) and the moving mean and variance (not trained, updated
    as running statistics), one value of each per channel. With the channel count from the layer's output shape the
    moving statistics are 2 x channels and the rest trainable (right with or without center/scale); without an output
    shape, half of the layer's parameters, as with Keras's defaults (center and scale on). Every other kind counts as
    trainable: a record does not say which layers a run froze (a frozen start or backbone), so those are not told apart."""
    params = int(layer.get("params") or 0)
    if "non_trainable" in layer:
        non = int(layer["non_trainable"])
        return int(layer.get("trainable", params - non)), non
    if layer.get("kind") == "BatchNormalization" and params:
        shape = layer.get("output_shape") or []
        channels = shape[-1] if shape and isinstance(shape[-1], int) else None
        non = 2 * channels if channels and 2 * channels <= params else params // 2
        return params - non, non
    return params, 0


def non_trainable(layers: Sequence[Mapping[str, Any]]) -> int:
    """Non-trainable parameters of a run's layers (layer_split)."""
    return sum(layer_split(layer)[1] for layer in layers or [])


def params_text(params: int, layers: Sequence[Mapping[str, Any]]) -> str:
    """'10,122 (96 non-trainable)', or '2,410' when every parameter is trained."""
    non = non_trainable(layers)
    return f"{params:,} ({non:,} non-trainable)" if non else f"{params:,}"


def run_data(run: RunSpec, dataset: Mapping[str, Any]) -> str:
    """How the run used its dataset: all of it, a labelled budget, or a pool of splits (test images included)."""
    if "labels" in dataset:
        return f"{dataset['labels']:,} labelled training images (stratified, seed {run.training.seed})"
    if "pool" in dataset:
        return f"images of {' + '.join(dataset['pool'])} ({dataset['n_train']:,}), labels unused; test metrics not held out"
    held = f" (+ {dataset['n_val']:,} held out for validation)" if dataset.get("n_val") else ""
    if run.task == "reconstruct":
        return f"{dataset['n_train']:,} training images{held}, labels unused"
    return f"{dataset['n_train']:,} training images{held}"
