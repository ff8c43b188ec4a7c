"""What a figure needs of its run's model, checked on the built model before anything trains (weights, filters)."""

from __future__ import annotations

import math
from typing import Any

from ..spec import ExperimentSpec
from ..spec.select import block_runs

__all__ = ["figure_problems"]


def _kernel_shape(layer: Any) -> tuple[int, ...] | None:
    kernel = getattr(layer, "kernel", None)
    return tuple(int(d) for d in kernel.shape) if kernel is not None else None


def _weights_problem(model: Any, layer_name: str | None, image_shape: tuple[int, ...], classes: int) -> str | None:
    dense = [layer for layer in model.layers if type(layer).__name__ == "Dense"]
    chosen = next((layer for layer in dense if layer.name == layer_name), None) if layer_name else (dense[0] if dense else None)
    if chosen is None:
        return f"layer '{layer_name}' is not a Dense layer" if layer_name else "it has no Dense layer"
    rows, units = _kernel_shape(chosen)
    if rows != math.prod(image_shape):
        return (f"its Dense layer '{chosen.name}' takes {rows} inputs, not the {math.prod(image_shape)} values of its "
                f"{'x'.join(map(str, image_shape))} images (the figure needs a Dense layer on the flattened input)")
    if units != classes:
        return f"its Dense layer '{chosen.name}' has {units} units, not one per class ({classes})"
    return None


def _filters_problem(model: Any, layer_name: str) -> str | None:
    found = [layer for layer in model.layers if layer.name == layer_name]
    shape = _kernel_shape(found[0]) if found else None
    return None if shape is not None and len(shape) == 4 else f"layer '{layer_name}' has no 2-D convolution kernel"


def figure_problems(spec: ExperimentSpec, models: dict[str, Any], shapes: dict[str, Any]) -> list[str]:
    """One located line per figure whose run's built model cannot give it ({run: keras model}, {dataset: DataShape}):
    a weights figure needs a Dense layer on the flattened input with one unit per class, a filters figure a 2-D
    convolution. Runs not built here (cached) are not checked."""
    problems = []
    for section in spec.sections:
        for block in section.blocks:
            kind = block.options.get("kind") if block.kind == "figure" else None
            if kind not in ("weights", "filters"):
                continue
            for run in block_runs(block):
                if run not in models:
                    continue
                shape = shapes[spec.runs[run].dataset]
                why = (_weights_problem(models[run], block.options.get("layer"), tuple(shape.image_shape), shape.n_classes)
                       if kind == "weights" else _filters_problem(models[run], block.options["layer"]))
                if why:
                    where = f"{block.where}.{kind}" if block.where else f"report section '{section.title}': {kind}"
                    problems.append(f"{where}: the {kind} figure cannot be drawn for run '{run}': {why}")
    return problems
