"""Probes: arrays that figures need from a trained model (activation maps), computed once and kept in its cache entry."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import RunError
from ..spec import ExperimentSpec

__all__ = ["activation_maps", "wanted_probes"]


def wanted_probes(spec: ExperimentSpec) -> dict[str, dict[int, list[str]]]:
    """{run: {training image index: layer names}} for every activations figure of the report."""
    wanted: dict[str, dict[int, list[str]]] = {}
    for section in spec.sections:
        for block in section.blocks:
            if block.kind == "figure" and block.options["kind"] == "activations":
                image = block.options.get("image", 12)
                layers = wanted.setdefault(block.options["run"], {}).setdefault(image, [])
                layers.extend(layer for layer in block.options["layers"] if layer not in layers)
    return wanted


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
