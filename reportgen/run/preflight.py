"""Pre-flight: every model built on its dataset's input shape (symbolic Keras, no data, no training) before anything trains."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..data import DataShape, peek
from ..errors import DataError, RunError, SpecError
from ..spec import ExperimentSpec, LayerSpec, RunSpec

__all__ = ["check_models"]


def _output_layer(run: RunSpec) -> LayerSpec:
    """The layer whose output is the model's (the last of the output node, for a graph)."""
    model = run.model
    if model.is_graph:
        return next(node for node in model.graph if node.name == model.output).layers[-1]
    return model.layers[-1]


def _output_problem(run: RunSpec, shape: tuple, classes: int) -> str | None:
    """A classifier must output one score per class."""
    if len(shape) == 2 and shape[-1] == classes:
        return None
    layer = _output_layer(run)
    got = f"output shape {tuple(shape)}"
    return (f"{layer.where or run.name}: expected an output of {classes} units, one per class of the dataset "
            f"(for {run.training.loss}). Received: {got}")


def check_models(spec: ExperimentSpec, runs: Iterable[str] | None = None, base: Path | None = None) -> None:
    """Build each run's model on its dataset's shape; raise SpecError with every located problem at once."""
    from ..quiet import import_keras

    keras = import_keras()
    from ..model import ModelError, build_model

    names = list(spec.runs) if runs is None else list(runs)
    shapes: dict[str, DataShape | str] = {}
    problems: list[str] = []
    for name in names:
        run = spec.runs[name]
        if run.dataset not in shapes:
            dataset = spec.datasets[run.dataset]
            try:
                shapes[run.dataset] = peek(dataset.source, dataset.options)
            except DataError as exc:
                shapes[run.dataset] = f"dataset '{run.dataset}': {exc}"
                problems.append(shapes[run.dataset])
        shape = shapes[run.dataset]
        if isinstance(shape, str):
            continue
        try:
            model = build_model(run.model, spec.datasets[run.dataset], shape.image_shape, 255, name, base=base)
        except ModelError as exc:
            problems.append(exc.message)
            continue
        except RunError as exc:
            problems.append(f"run '{name}': {exc.message}")
            continue
        problem = _output_problem(run, tuple(model.output.shape), shape.n_classes)
        if problem and problem not in problems:
            problems.append(problem)
    keras.backend.clear_session()  # names and state of the checked models do not leak into the trained ones
    if problems:
        raise SpecError(sorted(dict.fromkeys(problems), key=_position))


def _position(message: str) -> tuple:
    head = message.split(": ", 1)[0].rsplit(":", 2)
    try:
        return (head[0], int(head[1]), int(head[2]))
    except (IndexError, ValueError):
        return (message, 0, 0)
