"""Sub-models by layer name: the encoder (the input up to a layer) and the decoder (that layer up to the output)."""

from __future__ import annotations

import keras

from ..errors import RunError

__all__ = ["decoder", "encoder"]


def _layer(model: keras.Model, name: str) -> keras.layers.Layer:
    try:
        return model.get_layer(name)
    except ValueError:
        named = [layer.name for layer in model.layers]
        raise RunError(f"model '{model.name}' has no layer '{name}'; its layers: {', '.join(named)}") from None


def encoder(model: keras.Model, layer: str, name: str | None = None) -> keras.Model:
    """The model's input up to `layer`'s output, sharing the model's (trained) layers."""
    return keras.Model(model.inputs, _layer(model, layer).output, name=name or f"{model.name}_to_{layer}")


def decoder(model: keras.Model, layer: str) -> keras.Model:
    """`layer`'s output up to the model's output: decoder(encoder(x)) is model(x)."""
    return keras.Model(_layer(model, layer).output, model.output, name=f"{model.name}_from_{layer}")
