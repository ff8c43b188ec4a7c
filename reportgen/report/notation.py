"""The sheet's architecture notation, from a model spec: CONV D=32, w=h=3, S=1, P='same'; MAXPOOL; DENSE 10."""

from __future__ import annotations

from typing import Any, Callable

from ..numbers import count
from ..spec import LayerSpec, ModelSpec, TrainingSpec, catalog
from ..spec.blocks import RepeatSpec

__all__ = ["architecture", "hyperparameters", "layer_notation", "optimizer_text"]


def _pair(value: Any, default: int) -> tuple[int, int]:
    if value is None:
        return default, default
    if isinstance(value, (list, tuple)):
        return (value[0], value[-1])
    return value, value


def _conv(args: dict[str, Any]) -> str:
    w, h = _pair(args.get("kernel_size"), 1)
    size = f"w=h={w}" if w == h else f"w={w}, h={h}"
    sx, sy = _pair(args.get("strides"), 1)
    stride = f"S={sx}" if sx == sy else f"S={sx}x{sy}"
    return f"CONV D={args['filters']}, {size}, {stride}, P='{args.get('padding', 'valid')}'{_extras(args)}"


def _pool(word: str) -> Callable[[dict[str, Any]], str]:
    def notation(args: dict[str, Any]) -> str:
        size, _ = _pair(args.get("pool_size"), 2)
        stride = args.get("strides")
        shown = word if size == 2 else f"{word} {size}"
        return shown + (f", S={_pair(stride, size)[0]}" if stride is not None and _pair(stride, size)[0] != size else "")

    return notation


def _g(value: Any) -> str:
    """A number as written (0.2, 1e-05); varied values arrive already as text such as '32|64'."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return "x".join(_g(v) for v in value)
    return f"{value:g}"


def _aug(word: str, *keys: str) -> Callable[[dict[str, Any]], str]:
    return lambda a: " ".join([f"AUG {word}", *(_g(a[k]) for k in keys if k in a)])


def _extras(args: dict[str, Any]) -> str:
    parts = []
    if args.get("activation") and args["activation"] != "linear":
        parts.append(args["activation"])
    for key in ("kernel_regularizer", "bias_regularizer"):
        for kind, value in (args.get(key) or {}).items():
            parts.append(f"{kind.upper()}={_g(value)}")
    return "".join(f", {p}" for p in parts)


_NOTATION: dict[str, Callable[[dict[str, Any]], str]] = {
    "Dense": lambda a: f"DENSE {a['units']}{_extras(a)}",
    "Conv1D": _conv,
    "Conv2D": _conv,
    "MaxPooling1D": _pool("MAXPOOL"),
    "MaxPooling2D": _pool("MAXPOOL"),
    "AveragePooling2D": _pool("AVGPOOL"),
    "GlobalAveragePooling2D": lambda a: "GLOBAL AVGPOOL",
    "GlobalMaxPooling2D": lambda a: "GLOBAL MAXPOOL",
    "Activation": lambda a: a["activation"].upper(),
    "ReLU": lambda a: "RELU",
    "Softmax": lambda a: "SOFTMAX",
    "BatchNormalization": lambda a: "BN",
    "Dropout": lambda a: f"DROPOUT {_g(a['rate'])}",
    "SpatialDropout2D": lambda a: f"SPATIAL DROPOUT {_g(a['rate'])}",
    "Reshape": lambda a: "RESHAPE " + "x".join(str(d) for d in a["target_shape"]),
    "Flatten": lambda a: "",  # the sheet leaves flattening implicit
    "RandomFlip": lambda a: f"AUG FLIP {a.get('mode', 'horizontal_and_vertical').replace('_and_', '+')}",
    "RandomTranslation": _aug("TRANSLATE", "height_factor", "width_factor"),
    "RandomRotation": _aug("ROTATE", "factor"),
    "RandomZoom": _aug("ZOOM", "height_factor", "width_factor"),
    "RandomContrast": _aug("CONTRAST", "factor"),
    "RandomBrightness": _aug("BRIGHTNESS", "factor"),
    "UpSampling2D": lambda a: f"UPSAMPLE {_g(a.get('size', 2))}",
    "ZeroPadding2D": lambda a: f"ZEROPAD {_g(a.get('padding', 1))}",
    "Resizing": lambda a: f"RESIZE {a['height']}x{a['width']}",
    "Rescaling": lambda a: f"RESCALE x{_g(a.get('scale', 1))}",
    "Concatenate": lambda a: "CONCAT",
    "Add": lambda a: "ADD",
    "Subtract": lambda a: "SUBTRACT",
    "Average": lambda a: "AVERAGE",
    "Multiply": lambda a: "MULTIPLY",
    "Maximum": lambda a: "MAXIMUM",
    "Minimum": lambda a: "MINIMUM",
}


def _backbone(kind: str, args: dict[str, Any]) -> str:
    """A keras.applications backbone: its name, weights, frozen or not, pooling, input size."""
    weights = args.get("weights", "imagenet")
    parts = [f"{weights} weights" if weights in ("imagenet", "none") else f"weights {weights}",
             "trainable" if args.get("trainable") else "frozen"]
    if args.get("pooling"):
        parts.append(f"{args['pooling']} pool")
    if args.get("input_size"):
        parts.append(f"input {_g(args['input_size'])}")
    if "alpha" in args:
        parts.append(f"alpha={_g(args['alpha'])}")
    return f"{kind.upper()} ({', '.join(parts)})"


def layer_notation(layer: LayerSpec) -> str:
    """One layer in the sheet's words ('' for layers the sheet does not show)."""
    if layer.kind in catalog.APPLICATIONS:
        return _backbone(layer.kind, layer.args)
    make = _NOTATION.get(layer.kind)
    return make(layer.args) if make else layer.kind.upper()


def _items(items: tuple[Any, ...], varied: dict[str, str]) -> str:
    parts = []
    for item in items:
        if isinstance(item, RepeatSpec):
            inner = {**varied, **{arg: "|".join(_g(v) for v in values) for arg, values in item.each.items()}}
            body = _items(item.items, inner)
            parts.append(f"[{body}] x{item.times}" if item.times > 1 else body)
        else:
            shown = {**item.args, **{k: v for k, v in varied.items() if k in catalog.LAYERS[item.kind]}}  # as blocks.expand
            parts.append(layer_notation(LayerSpec(item.kind, shown)))
    return "; ".join(part for part in parts if part)


def architecture(model: ModelSpec) -> str:
    """The whole stack as written, layers separated by '; ', repeated blocks as [ ... ] xN (a|b: value per repeat).
    A graph: one line per node that feeds several others, then the output's expression, merges as MERGE[a ‖ b] (a branch a line)."""
    return _graph(model) if model.is_graph else _items(model.structure, {})


def _graph(model: ModelSpec) -> str:
    nodes = {node.name: node for node in model.graph}
    users: dict[str, int] = {}
    for node in model.graph:
        for source in node.inputs:
            users[source] = users.get(source, 0) + 1
    inline = {name for name in nodes if users.get(name, 0) == 1 and name != model.output}

    def source(name: str, named: bool) -> str:
        """An input as written inline (a node only it uses) or by its name."""
        return expr(name, named) if name in inline else name

    def expr(name: str, named: bool = False) -> str:
        node = nodes[name]
        label = f"{name}: " if named else ""
        if len(node.inputs) > 1:
            branches = " ‖\n".join(source(i, True) for i in node.inputs)  # one branch per line
            head, _, tail = _items(node.structure, {}).partition("; ")
            return f"{label}{head}[{branches}]" + (f"; {tail}" if tail else "")
        (only,) = node.inputs
        before = "" if only == "input" else source(only, False)
        return label + " → ".join(part for part in (before, _items(node.structure, {})) if part)  # a FLATTEN alone shows nothing

    lines = [f"{name} = {expr(name)}" for name in nodes if name not in inline and name != model.output]
    return "\n".join([*lines, expr(model.output)])


def optimizer_text(training: TrainingSpec) -> str:
    """'adam lr=0.001', 'sgd(momentum=0.9, nesterov=True) lr=0.05': the optimizer as its table cell and caption say it."""
    args = ", ".join(f"{k}={v}" for k, v in training.optimizer_args.items())
    return f"{training.optimizer}{f'({args})' if args else ''} lr={training.learning_rate:g}"


def hyperparameters(training: TrainingSpec, epochs_run: int | None = None) -> str:
    """Optimizer, learning rate, batch size, epochs, loss and callbacks in one line."""
    epochs = count(training.epochs, 'epoch')
    if epochs_run is not None and epochs_run != training.total_epochs:  # stopped early
        epochs = f"{epochs_run} of {count(training.total_epochs, 'epoch')}"
    parts = [optimizer_text(training), f"batch {training.batch_size}", epochs, training.loss]
    parts += [f"{c.kind}({', '.join(f'{k}={v}' for k, v in c.args.items())})" for c in training.callbacks]
    if training.fine_tune:
        ft = training.fine_tune
        top = "all" if ft.layers is None else f"top {ft.layers}"
        parts.append(f"then fine-tuning: {top} base layers unfrozen, {ft.epochs} epochs at lr={ft.learning_rate:g}")
    return "; ".join(parts)
