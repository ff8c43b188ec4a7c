"""Weights from another run: its model rebuilt from its spec with its trained weights, as a base or layer by layer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

from ..errors import RunError
from ..spec import DatasetSpec, RunSpec, StartSpec
from .build import PREPROCESSING, ModelError, build_model, safe_name
from .submodels import encoder

__all__ = ["Parent", "base_of", "copy_layers", "parent_model"]


@dataclass(frozen=True)
class Parent:
    """What a child needs of a parent run: its spec and dataset's, its input, and (once trained) its weights."""

    run: RunSpec
    dataset: DatasetSpec
    input_shape: tuple[int, ...]
    max_value: int
    layers: tuple[str, ...] = ()  # the trained model's layer names in order (its record), to match arrays by position
    arrays: Mapping[str, np.ndarray] | None = None  # 'weights/<layer>/<i>' of the trained model; None: not trained yet
    parents: Mapping[str, "Parent"] = field(default_factory=dict)  # its own parents: a base it was built on


def parent_model(parent: Parent, base: Path | None = None) -> keras.Model:
    """The parent's model built from its spec; with its trained weights when the parent has them. Weights are
    matched by position (the trained model's layer names are read from its record), so Keras' automatic names
    never matter; no saved model is deserialised."""
    start = parent.run.start
    inherited = None
    if start and start.upto:  # the parent was itself built on a base: rebuilt the same way (its weights come next)
        inherited = base_of(start, parent.parents[start.run], parent.input_shape, base)
    model = build_model(parent.run.model, parent.dataset, parent.input_shape, parent.max_value, parent.run.name, base=base,
                        start=inherited)
    if parent.arrays is None:
        return model
    built = [layer for layer in model.layers if layer.name not in PREPROCESSING]
    if len(built) != len(parent.layers):
        raise RunError(f"run '{parent.run.name}': its cache entry holds {len(parent.layers)} layers, its spec builds {len(built)}")
    for layer, trained in zip(built, parent.layers, strict=True):
        count = len(layer.get_weights())
        if count:
            try:
                layer.set_weights([parent.arrays[f"weights/{trained}/{i}"] for i in range(count)])
            except (KeyError, ValueError) as exc:
                raise RunError(f"run '{parent.run.name}': trained weights of layer '{trained}' do not fit its spec: {exc}") from None
    return model


def base_of(start: StartSpec, parent: Parent, input_shape: tuple[int, ...], base: Path | None = None) -> keras.Model:
    """The parent's model from its input up to `start.upto`, as one nested model (frozen unless trainable)."""
    if tuple(input_shape) != tuple(parent.input_shape):
        raise ModelError(f"{start.where}: run '{parent.run.name}' takes images of shape {tuple(parent.input_shape)}; "
                         f"this run's data are {tuple(input_shape)}")
    model = encoder(parent_model(parent, base), start.upto, name=safe_name(f"{parent.run.name}_base"))
    model.trainable = start.trainable
    return model


def copy_layers(model: keras.Model, start: StartSpec, parent: Parent, base: Path | None = None) -> list[str]:
    """Copy the parent's trained weights into the model's layers of the same names (frozen unless trainable)."""
    source = parent_model(parent, base)
    for name in start.layers:
        target, weights = model.get_layer(name), source.get_layer(name).get_weights()
        try:
            target.set_weights(weights)
        except ValueError as exc:
            shapes = [tuple(w.shape) for w in weights]
            raise ModelError(f"{start.where}: layer '{name}' cannot take the weights of run '{parent.run.name}' "
                             f"(shapes {shapes}): {str(exc).splitlines()[0]}") from None
        target.trainable = start.trainable
    return list(start.layers)


