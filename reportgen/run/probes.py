"""Probes: what figures need from a trained model (activation maps, the diagram), computed once into its cache entry."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..errors import RunError
from ..spec import ExperimentSpec
from .result import DIAGRAM_PROBE, activations_probe

__all__ = ["activation_maps", "compute_probe", "diagram_dot", "wanted_probes"]


def wanted_probes(spec: ExperimentSpec) -> dict[str, dict[str, list[str]]]:
    """{run: {probe name: the arrays it must hold}} for every activations and diagram figure of the report."""
    wanted: dict[str, dict[str, list[str]]] = {}
    for section in spec.sections:
        for block in section.blocks:
            if block.kind != "figure":
                continue
            kind = block.options["kind"]
            if kind == "activations":
                probe = activations_probe(block.options.get("image", 12))
                layers = wanted.setdefault(block.options["run"], {}).setdefault(probe, ["image"])
                layers.extend(layer for layer in block.options["layers"] if layer not in layers)
            elif kind == "diagram":
                wanted.setdefault(block.options["run"], {})[DIAGRAM_PROBE] = ["dot"]
    return wanted


def compute_probe(probe: str, arrays: list[str], model: Any, dataset: Callable[[], Any], run: str) -> dict[str, np.ndarray]:
    """One probe's arrays from the trained model (`dataset` loads the run's data only if the probe needs it)."""
    if probe == DIAGRAM_PROBE:
        return {"dot": np.array(diagram_dot(model))}
    index = int(probe.rsplit("-", 1)[1])
    return activation_maps(model, dataset().x_train, index, [a for a in arrays if a != "image"], run)


def diagram_dot(model: Any) -> str:
    """The model's graph as Graphviz DOT, drawn by keras.utils.model_to_dot with shapes and nested models as boxes;
    kept in the cache so a re-render draws it with Graphviz alone, without Keras."""
    import keras

    try:
        dot = keras.utils.model_to_dot(model, show_shapes=True, show_layer_names=True, show_layer_activations=True,
                                       expand_nested=False, rankdir="TB", dpi=72)
    except ImportError as exc:
        raise RunError(f"architecture diagram: {exc}", hint="pip install pydot, and apt-get install graphviz") from exc
    return dot.to_string()


def activation_maps(model: Any, images: np.ndarray, index: int, layers: list[str], run: str) -> dict[str, np.ndarray]:
    """The input image and each layer's output for it, from a sub-model of the trained model (inference mode)."""
    import keras

    if not 0 <= index < len(images):
        raise RunError(f"run '{run}': activations image {index} is out of range: the training set has {len(images)} images")
    try:
        outputs = [model.get_layer(name).output for name in layers]
    except ValueError as exc:
        raise RunError(f"run '{run}': {str(exc).splitlines()[0]}") from exc
    probe = keras.Model(model.inputs, outputs)
    values = probe.predict(images[index:index + 1], verbose=0)
    values = values if isinstance(values, list) else [values]
    maps = {name: np.asarray(value[0], dtype=np.float32) for name, value in zip(layers, values, strict=True)}  # bf16 under mixed precision
    return {"image": np.asarray(images[index]), **maps}
