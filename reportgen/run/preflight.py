"""Pre-flight: every model built on its dataset's input shape (symbolic Keras, no data, no training) before anything trains."""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..data import DataShape
from ..errors import DataError, RunError, SpecError
from ..limits import exceeded, limit
from ..spec import ExperimentSpec, LayerSpec, RunSpec
from .datasets import peek_dataset
from .figurecheck import figure_problems

__all__ = ["check_models"]


def _batch_problem(run: RunSpec, model: Any) -> str | None:
    """A training batch whose widest layer output would pass limit('batch_values'): refused before any memory is taken."""
    from ..model.build import widest_output

    values = run.training.batch_size * widest_output(model)
    if values <= limit("batch_values"):
        return None
    return f"run '{run.name}': training.batch_size: {exceeded('batch_values', f'{values:,} (batch {run.training.batch_size:,} x {widest_output(model):,} values per image)')}"


def _output_layer(run: RunSpec) -> LayerSpec:
    """The layer whose output is the model's (the last of the output node, for a graph)."""
    model = run.model
    if model.is_graph:
        return next(node for node in model.graph if node.name == model.output).layers[-1]
    return model.layers[-1]


def _output_problem(run: RunSpec, shape: tuple, data: DataShape) -> str | None:
    """A classifier must output one score per class; an autoencoder, an image of its input's size."""
    layer = _output_layer(run)
    got = f"output shape {tuple(shape)}"
    if run.kind == "reconstruct":
        if tuple(shape[1:]) == tuple(data.image_shape) or (len(shape) == 2 and shape[1] == math.prod(data.image_shape)):
            return None
        return (f"{layer.where or run.name}: expected an output of the input's shape {tuple(data.image_shape)} (or "
                f"{math.prod(data.image_shape)} values), the image it reconstructs. Received: {got}")
    if len(shape) == 2 and shape[-1] == data.n_classes:
        return None
    image = tuple(shape[1:]) == tuple(data.image_shape) or (len(shape) == 2 and shape[1] == math.prod(data.image_shape))
    hint = "; an autoencoder says `task: reconstruct`" if image else ""
    return (f"{layer.where or run.name}: expected an output of {data.n_classes} units, one per class of the dataset "
            f"(for {run.training.loss}). Received: {got}{hint}")


def check_models(spec: ExperimentSpec, runs: Iterable[str] | None = None, base: Path | None = None) -> None:
    """Build each run's model on its dataset's shape; raise SpecError with every located problem at once."""
    from ..quiet import import_keras

    keras = import_keras()
    from ..model import ModelError

    from ..model import Parent
    from .train import compiled_model

    names = list(spec.runs) if runs is None else list(runs)
    shapes: dict[str, DataShape | str] = {}
    problems: list[str] = []
    models: dict[str, Any] = {}  # run -> its built model, for what the report's figures need of it

    def shape_of(dataset_name: str) -> DataShape | str:
        if dataset_name not in shapes:
            dataset = spec.datasets[dataset_name]
            try:
                shapes[dataset_name] = peek_dataset(dataset)
            except DataError as exc:
                shapes[dataset_name] = str(exc) if dataset.where else f"dataset '{dataset_name}': {exc}"
                problems.append(shapes[dataset_name])
        return shapes[dataset_name]

    def untrained(name: str) -> Parent:
        """A parent as built before it trains (its own base included), on its dataset's shape."""
        run = spec.runs[name]
        shape = shape_of(run.dataset)
        return Parent(run, spec.datasets[run.dataset], shape.image_shape, 255, parents={p: untrained(p) for p in run.parents()})

    for name in names:
        run = spec.runs[name]
        shape = shape_of(run.dataset)
        parents = {p: shape_of(spec.runs[p].dataset) for p in _ancestors(spec, name)}
        if isinstance(shape, str) or any(isinstance(s, str) for s in parents.values()):
            continue
        parents = {p: untrained(p) for p in run.parents()}
        try:
            if run.kind == "estimator":
                _check_features(run, shape, parents)
                continue
            model = compiled_model(run, spec.datasets[run.dataset], shape.image_shape, 255, base, parents)
            models[name] = model
        except ModelError as exc:
            problems.append(exc.message)
            continue
        except RunError as exc:
            problems.append(f"run '{name}': {exc.message}")
            continue
        problem = _output_problem(run, tuple(model.output.shape), shape) or _batch_problem(run, model)
        if problem and problem not in problems:
            problems.append(problem)
    problems += [p for p in figure_problems(spec, models, shapes) if p not in problems]
    keras.backend.clear_session()  # names and state of the checked models do not leak into the trained ones
    if problems:
        raise SpecError(sorted(dict.fromkeys(problems), key=_position))


def _ancestors(spec: ExperimentSpec, name: str) -> list[str]:
    out: list[str] = []
    for parent in spec.runs[name].parents():
        out += [parent, *_ancestors(spec, parent)]
    return out


def _check_features(run: RunSpec, shape: DataShape, parents: dict) -> None:
    """An estimator on another run's codes needs images that run takes."""
    from ..model import ModelError

    if run.features and run.features.run:
        parent = parents[run.features.run]
        if tuple(parent.input_shape) != tuple(shape.image_shape):
            raise ModelError(f"{run.features.where}: run '{parent.run.name}' takes images of shape {tuple(parent.input_shape)}; "
                             f"this run's data are {tuple(shape.image_shape)}")


def _position(message: str) -> tuple:
    head = message.split(": ", 1)[0].rsplit(":", 2)
    try:
        return (head[0], int(head[1]), int(head[2]))
    except (IndexError, ValueError):
        return (message, 0, 0)
