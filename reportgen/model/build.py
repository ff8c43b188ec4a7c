"""build_model: a ModelSpec and the data's shape -> a Keras model with preprocessing inside the graph."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import keras

from ..errors import RunError
from ..limits import exceeded, limit
from ..spec import DatasetSpec, LayerSpec, ModelSpec, catalog


def to_snake_case(name: str) -> str:
    """A class name as Keras names its layers: BatchNormalization -> batch_normalization, Conv2D -> conv2d."""
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", re.sub(r"\W+", "", name))
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


__all__ = ["PREPROCESSING", "ModelError", "as_built", "build_model", "count_params_by_layer", "estimate_params", "layer_names", "make_layer",
           "safe_name", "value_range", "widest_output"]

_TAKES_VALUE_RANGE = ("RandomContrast", "RandomBrightness")
INPUT = "input"  # spec.graph.INPUT: the scaled images
PREPROCESSING = ("image", "scale", "flatten_input")  # the layers build_model puts before the spec's


class ModelError(RunError):
    """A layer cannot be built on what it receives; the message starts with the layer's FILE:LINE:COL: path."""


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


def make_layer(layer: LayerSpec, name: str | None = None) -> keras.layers.Layer:
    """One Keras layer from its spec (class name and config, as Keras serialises layers); `name` (see layer_names)
    when the spec gives none, so Keras' process-wide counters never name it."""
    cls = getattr(keras.layers, layer.kind, None)
    if cls is None:
        raise RunError(f"layer '{layer.kind}' is not available in Keras {keras.__version__}")
    args = {k: _argument(k, v) for k, v in layer.args.items()}
    if name is not None and "name" not in args:
        args["name"] = name
    try:
        return cls(**args)
    except (TypeError, ValueError) as exc:
        raise _located(layer, f"cannot build {layer.kind} with {layer.args}: {_first_line(exc)}") from exc


def as_built(layer: LayerSpec, value_range: list[float], mixed: bool, last: bool) -> LayerSpec:
    """The layer with the arguments build_model adds: augmentation's value range (they see scaled pixels, not 0-255),
    and float32 outputs for the last layer under mixed precision (softmax and loss); the exported notebook adds the same."""
    if layer.kind in _TAKES_VALUE_RANGE and "value_range" not in layer.args:
        layer = replace(layer, args={**layer.args, "value_range": value_range})
    if mixed and last and "dtype" not in layer.args:
        layer = replace(layer, args={**layer.args, "dtype": "float32"})
    return layer


def value_range(dataset: DatasetSpec, max_value: int) -> list[float]:
    """The range of the pixels the spec's layers see: [0, 1] when the dataset is scaled, else the source's."""
    return [0.0, 1.0] if dataset.scale else [0.0, float(max_value)]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _located(layer: LayerSpec, message: str) -> ModelError:
    return ModelError(f"{layer.where}: {message}" if layer.where else f"layer {layer.kind}: {message}")


def _channels(layer: keras.layers.Layer, shape: tuple[Any, ...]) -> int:
    """The size of the axis a layer's weights span: the channels (or features) of its input."""
    axis = 1 if getattr(layer, "data_format", "channels_last") == "channels_first" else -1
    return int(shape[axis] or 1) if len(shape) > 1 else 1


def _conv_params(layer: keras.layers.Layer, cin: int) -> int:
    """Kernels and biases of a convolution (plain, transposed, separable or depthwise) with `cin` input channels."""
    L, k = keras.layers, math.prod(layer.kernel_size)
    bias = layer.use_bias
    if isinstance(layer, (L.SeparableConv1D, L.SeparableConv2D)):
        return k * cin * layer.depth_multiplier + cin * layer.depth_multiplier * layer.filters + bias * layer.filters
    if isinstance(layer, (L.DepthwiseConv1D, L.DepthwiseConv2D)):
        return (k + bias) * cin * layer.depth_multiplier
    if isinstance(layer, (L.Conv1DTranspose, L.Conv2DTranspose, L.Conv3DTranspose)):
        return k * cin * layer.filters + bias * layer.filters
    return k * (cin // max(getattr(layer, "groups", 1), 1)) * layer.filters + bias * layer.filters


def _recurrent_params(layer: keras.layers.Layer, cin: int) -> int:
    """Input and recurrent kernels and biases of a SimpleRNN, GRU or LSTM of `units` units."""
    L, units = keras.layers, layer.units
    gates = 4 if isinstance(layer, L.LSTM) else 3 if isinstance(layer, L.GRU) else 1
    biases = 2 if isinstance(layer, L.GRU) and layer.reset_after else 1
    return gates * (units * (cin + units) + biases * units)


def estimate_params(layer: keras.layers.Layer, x: Any) -> int:
    """The parameters `layer` will create when called on `x`, from its config and x's shape alone (others count 0)."""
    if isinstance(x, (list, tuple)):
        return 0
    L = keras.layers
    cin = _channels(layer, tuple(x.shape))
    if isinstance(layer, L.Dense):
        return cin * layer.units + layer.use_bias * layer.units
    if isinstance(layer, (L.Conv1D, L.Conv2D, L.Conv3D, L.Conv1DTranspose, L.Conv2DTranspose, L.Conv3DTranspose,
                          L.SeparableConv1D, L.SeparableConv2D, L.DepthwiseConv1D, L.DepthwiseConv2D)):
        return _conv_params(layer, cin)
    if isinstance(layer, L.Embedding):
        return layer.input_dim * layer.output_dim
    if isinstance(layer, L.Bidirectional):
        return estimate_params(layer.forward_layer, x) + estimate_params(layer.backward_layer, x)
    if isinstance(layer, (L.LSTM, L.GRU, L.SimpleRNN)):
        return _recurrent_params(layer, cin)
    if isinstance(layer, L.BatchNormalization):
        return 4 * int(x.shape[layer.axis] or 1)
    return 0


# Parameters of each MobileNet backbone at alpha 1 (include_top=False, Keras 3); they grow about as alpha squared, and
# Keras checks alpha only for ImageNet weights, so a wide one is refused from this before it is built.
_ALPHA_ONE_PARAMS = {"MobileNet": 3_228_864, "MobileNetV2": 2_257_984, "MobileNetV3Small": 939_120, "MobileNetV3Large": 2_996_352}


def widest_output(model: keras.Model) -> int:
    """The most values any layer of the model (nested models' layers too) outputs for one image."""
    widest, stack = 0, [model]
    while stack:
        layer = stack.pop()
        stack.extend(getattr(layer, "layers", []))
        try:
            outputs = layer.output
        except (AttributeError, ValueError):  # a layer not called in this graph
            continue
        for t in outputs if isinstance(outputs, (list, tuple)) else [outputs]:
            widest = max(widest, math.prod(d or 1 for d in tuple(getattr(t, "shape", ()))[1:]))
    return widest


def _in_build_order(spec: ModelSpec) -> list[LayerSpec]:
    """The spec's layers in the order build_model applies them: a graph's nodes in `spec.graph` order, then their layers."""
    return [layer for node in spec.graph for layer in node.layers] if spec.is_graph else list(spec.layers)


def _backbone_names(name: str) -> tuple[str, ...]:
    return (name, f"{name}_resize", f"{name}_preprocess")  # see backbones.apply_backbone


def layer_names(spec: ModelSpec, reserved: Iterable[str] = ()) -> list[str]:
    """The name of each of the spec's layers, in build order (see _in_build_order): the user's `name`, a backbone's
    `name` or its lower-case kind, else Keras' snake-case of the class numbered within this model (dense_1, dense_2,
    conv2d_1), skipping numbers taken by a name given anywhere in the model, the preprocessing layers and `reserved`.
    Decided by the spec alone: the same in every process whatever was built before, and in preflight and training."""
    layers = _in_build_order(spec)
    taken = set(PREPROCESSING) | set(reserved) | {layer.name for layer in layers if layer.name}
    for layer in layers:
        if layer.kind in catalog.APPLICATIONS:
            taken.update(_backbone_names(layer.name or layer.kind.lower()))
    numbers: dict[str, int] = {}
    names = []
    for layer in layers:
        if layer.name or layer.kind in catalog.APPLICATIONS:
            names.append(layer.name or layer.kind.lower())
            continue
        base = to_snake_case(getattr(getattr(keras.layers, layer.kind, None), "__name__", layer.kind))
        n = numbers.get(base, 0) + 1
        while f"{base}_{n}" in taken:
            n += 1
        numbers[base] = n
        taken.add(f"{base}_{n}")
        names.append(f"{base}_{n}")
    return names


def _shape(x: Any) -> str:
    shapes = [tuple(t.shape) for t in x] if isinstance(x, list) else tuple(x.shape)
    return " and ".join(str(s) for s in shapes) if isinstance(shapes, list) else str(shapes)


class _Builder:
    """Applies layer specs to tensors: value ranges for augmentation, backbones, float32 outputs, located errors."""

    def __init__(self, dataset: DatasetSpec, max_value: int, base: Path | None, params: int = 0):
        self.value_range = value_range(dataset, max_value)
        self.to_255 = 255.0 / self.value_range[1]
        self.base = base
        self.mixed = keras.mixed_precision.dtype_policy().name.startswith("mixed_")
        self.params = params  # so far (an inherited base's included): at most limit('params'), checked before each layer

    def count(self, layer: LayerSpec, params: int) -> None:
        """Add a layer's parameters to the model's; ModelError, located at the layer, past limit('params')."""
        self.params += params
        if self.params > limit("params"):
            raise _located(layer, exceeded("params", f"{self.params:,} with this {layer.kind} ({params:,} of its own)"))

    def outputs(self, layer: LayerSpec, y: Any) -> Any:
        """y, once each output of the layer (and of every layer inside a backbone) is at most limit('activations')
        values per image: the shapes are symbolic here, so nothing the size of a batch is allocated yet."""
        made = y._keras_history[0] if hasattr(y, "_keras_history") else None
        inner = [made, *getattr(made, "layers", [])] if made is not None else []
        for tensor in [y, *(getattr(part, "output", None) for part in inner[1:])]:
            for t in tensor if isinstance(tensor, (list, tuple)) else [tensor]:
                size = math.prod(d or 1 for d in tuple(getattr(t, "shape", ()))[1:])
                if size > limit("activations"):
                    raise _located(layer, exceeded("activations", f"{size:,} ({tuple(t.shape)[1:]})"))
        return y

    def backbone(self, layer: LayerSpec, x: Any) -> Any:
        """A keras.applications backbone: Keras bounds its size (a MobileNet's alpha is estimated first); counted once built."""
        if layer.kind in _ALPHA_ONE_PARAMS and "alpha" in layer.args:
            estimate = int(_ALPHA_ONE_PARAMS[layer.kind] * max(float(layer.args["alpha"]), 1.0) ** 2)
            self.count(layer, estimate)  # refuses a too wide one before it is built
            self.params -= estimate  # the built backbone's own count replaces the estimate
        from .backbones import apply_backbone

        y = apply_backbone(x, layer.kind, layer.args, self.to_255, layer.name or layer.kind.lower(), self.base)
        self.count(layer, y._keras_history[0].count_params())
        return y

    def apply(self, layer: LayerSpec, x: Any, last: bool, name: str | None = None) -> Any:
        layer = as_built(layer, self.value_range, self.mixed, last)
        try:
            if layer.kind in catalog.APPLICATIONS:
                return self.outputs(layer, self.backbone(layer, x))
            made = make_layer(layer, name)
            try:
                estimate = estimate_params(made, x)
            except (IndexError, ValueError, TypeError, AttributeError):  # a config Keras refuses below, at its line (axis: 5)
                estimate = 0
            self.count(layer, estimate)  # before the call, which allocates the weights
            return self.outputs(layer, made(x))
        except ModelError:
            raise
        except RunError as exc:
            raise _located(layer, exc.message) from exc
        except (ValueError, TypeError, IndexError) as exc:  # e.g. a Conv2D on flat input, a kernel larger than its input, an axis 5
            raise _located(layer, f"{layer.kind} cannot take input of shape {_shape(x)}: {_first_line(exc)}") from exc


def build_model(spec: ModelSpec, dataset: DatasetSpec, input_shape: tuple[int, ...], max_value: int, name: str = "model",
                base: Path | None = None, start: keras.Model | None = None) -> keras.Model:
    """Inputs arrive as uint8; scaling and flattening happen inside the model, on the device.
    Backbones load their weights (`base`: the experiment's folder, for weights files). With `start` (another run's
    model up to a layer, see model.inherit), the spec's layers are put on top of it, which scales its own input."""
    inputs = keras.Input(shape=input_shape, dtype="uint8", name="image")
    if start is not None:
        x = start(inputs)
    else:
        x = keras.layers.Rescaling(1.0 / max_value if dataset.scale else 1.0, name="scale")(inputs)
        if dataset.flatten:
            x = keras.layers.Flatten(name="flatten_input")(x)
    builder = _Builder(dataset, max_value, base, start.count_params() if start is not None else 0)
    names = iter(layer_names(spec, [start.name] if start is not None else []))
    if spec.is_graph:
        x = _graph(spec, x, builder, names)
    else:
        for i, layer in enumerate(spec.layers):
            x = builder.apply(layer, x, i == len(spec.layers) - 1, next(names))
    return keras.Model(inputs, x, name=safe_name(name))


def _graph(spec: ModelSpec, x: Any, builder: _Builder, names: Iterable[str]) -> Any:
    """Each node's chain applied to its inputs' outputs, nodes in the spec's order (inputs first); `names` in that order."""
    outputs, names = {INPUT: x}, iter(names)
    for node in spec.graph:
        t = [outputs[source] for source in node.inputs]
        t = t[0] if len(t) == 1 else t
        for i, layer in enumerate(node.layers):
            t = builder.apply(layer, t, node.name == spec.output and i == len(node.layers) - 1, next(names))
        outputs[node.name] = t
    return outputs[spec.output]


def count_params_by_layer(model: keras.Model) -> list[dict[str, Any]]:
    """[{name, kind, output_shape, weights, biases, params}] for the spec's layers (preprocessing excluded)."""
    rows = []
    for layer in model.layers:
        if layer.name in PREPROCESSING:
            continue
        shapes = [tuple(w.shape) for w in layer.weights]
        kernel = sum(int(_size(s)) for w, s in zip(layer.weights, shapes) if "kernel" in w.path)
        total = layer.count_params()
        output = layer.output
        rows.append({"name": layer.name, "kind": type(layer).__name__,
                     "output_shape": list((output[0] if isinstance(output, list) else output).shape[1:]),
                     "weights": kernel, "biases": total - kernel, "params": total})
    return rows


def _size(shape: tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def safe_name(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in name)
