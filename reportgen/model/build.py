"""build_model: a ModelSpec and the data's shape -> a Keras model with preprocessing inside the graph."""

from __future__ import annotations

from typing import Any

import keras

from ..errors import RunError
from ..spec import DatasetSpec, LayerSpec, ModelSpec

__all__ = ["build_model", "count_params_by_layer", "make_layer"]


_TAKES_VALUE_RANGE = ("RandomContrast", "RandomBrightness")


def _regularizer(config: dict[str, float]) -> keras.regularizers.Regularizer:
    if set(config) == {"l2"}:
        return keras.regularizers.L2(config["l2"])
    if set(config) == {"l1"}:
        return keras.regularizers.L1(config["l1"])
    return keras.regularizers.L1L2(l1=config.get("l1", 0.0), l2=config.get("l2", 0.0))


def _argument(key: str, value: Any) -> Any:
    if key.endswith("_regularizer"):
        return _regularizer(value)
    if isinstance(value, list):
        return tuple(value)
    return value


def make_layer(layer: LayerSpec) -> keras.layers.Layer:
    """One Keras layer from its spec (class name and config, as Keras serialises layers)."""
    cls = getattr(keras.layers, layer.kind, None)
    if cls is None:
        raise RunError(f"layer '{layer.kind}' is not available in Keras {keras.__version__}")
    try:
        return cls(**{k: _argument(k, v) for k, v in layer.args.items()})
    except (TypeError, ValueError) as exc:
        raise RunError(f"cannot build layer {layer.kind}({layer.args}): {exc}") from exc


def build_model(spec: ModelSpec, dataset: DatasetSpec, input_shape: tuple[int, ...], max_value: int, name: str = "model") -> keras.Model:
    """Inputs arrive as uint8; scaling and flattening happen inside the model, on the device."""
    inputs = keras.Input(shape=input_shape, dtype="uint8", name="image")
    x = keras.layers.Rescaling(1.0 / max_value if dataset.scale else 1.0, name="scale")(inputs)
    if dataset.flatten:
        x = keras.layers.Flatten(name="flatten_input")(x)
    value_range = [0.0, 1.0] if dataset.scale else [0.0, float(max_value)]
    mixed = keras.mixed_precision.dtype_policy().name.startswith("mixed_")
    for i, layer in enumerate(spec.layers):
        if layer.kind in _TAKES_VALUE_RANGE and "value_range" not in layer.args:  # they see scaled pixels, not 0-255
            layer = LayerSpec(layer.kind, {**layer.args, "value_range": value_range})
        if mixed and i == len(spec.layers) - 1 and "dtype" not in layer.args:  # outputs (softmax, loss) stay float32
            layer = LayerSpec(layer.kind, {**layer.args, "dtype": "float32"})
        try:
            x = make_layer(layer)(x)
        except (ValueError, TypeError) as exc:  # e.g. a kernel larger than its input
            raise RunError(f"model '{name}': layer {layer.kind} cannot take input of shape {tuple(x.shape)}: {exc}".splitlines()[0]) from exc
    return keras.Model(inputs, x, name=_safe(name))


def count_params_by_layer(model: keras.Model) -> list[dict[str, Any]]:
    """[{name, kind, output_shape, weights, biases, params}] for the spec's layers (preprocessing excluded)."""
    rows = []
    for layer in model.layers:
        if layer.name in ("image", "scale", "flatten_input"):
            continue
        shapes = [tuple(w.shape) for w in layer.weights]
        kernel = sum(int(_size(s)) for w, s in zip(layer.weights, shapes) if "kernel" in w.path)
        total = layer.count_params()
        rows.append({"name": layer.name, "kind": type(layer).__name__, "output_shape": list(layer.output.shape[1:]),
                     "weights": kernel, "biases": total - kernel, "params": total})
    return rows


def _size(shape: tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in name)
