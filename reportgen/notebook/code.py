"""A run's model as Keras code: keras.Sequential for a chain, the functional API for a graph, a backbone or a base."""

from __future__ import annotations

import keyword
import re
from typing import Any

from ..errors import ReportgenError
from ..spec import DatasetSpec, LayerSpec, RunSpec, catalog

__all__ = ["NotExportable", "Identifiers", "build_function", "literal", "optimizer_class"]

INPUT = "input"  # spec.graph.INPUT


class NotExportable(ReportgenError):
    """A run whose model or data the notebook cannot write as plain code; the message names the run and what is missing."""


def literal(value: Any, tuple_lists: bool = True) -> str:
    """Plain data as a Python literal (student text reaches code only this way); lists as tuples, as Keras takes them."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        items = [literal(v, tuple_lists) for v in value]
        if not tuple_lists:
            return f"[{', '.join(items)}]"
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k)}: {literal(v, tuple_lists)}" for k, v in value.items()) + "}"
    raise NotExportable(f"a value of type {type(value).__name__} has no literal: {value!r:.60}")


def keyword_name(key: Any) -> str:
    """A keyword argument's name, checked: an identifier and not a Python keyword."""
    if not isinstance(key, str) or not key.isidentifier() or keyword.iskeyword(key):
        raise NotExportable(f"argument name {key!r:.60} is not a Python identifier")
    return key


class Identifiers:
    """Python names for student-named things: identifiers made of their name, never a keyword nor a name taken."""

    def __init__(self, taken: set[str] = frozenset()):  # type: ignore[assignment]
        self.taken = set(taken) | set(dir(__builtins__))

    def make(self, name: str, prefix: str = "") -> str:
        base = re.sub(r"\W+", "_", f"{prefix}{name}", flags=re.ASCII).strip("_") or "item"
        base = f"_{base}" if base[0].isdigit() else base
        ident, n = base, 1
        while ident in self.taken or keyword.iskeyword(ident) or not ident.isidentifier():
            n += 1
            ident = f"{base}_{n}"
        self.taken.add(ident)
        return ident


def _regularizer(config: dict[str, float]) -> str:
    if set(config) == {"l2"}:
        return f"keras.regularizers.L2({literal(config['l2'])})"
    if set(config) == {"l1"}:
        return f"keras.regularizers.L1({literal(config['l1'])})"
    return f"keras.regularizers.L1L2(l1={literal(config.get('l1', 0.0))}, l2={literal(config.get('l2', 0.0))})"


def _argument(key: str, value: Any) -> str:
    return _regularizer(value) if key.endswith("_regularizer") else literal(value)


def layer_code(layer: LayerSpec, name: str, params: dict[str, str] | None = None) -> str:
    """keras.layers.Kind(arg=value, ..., name="...") as model/build.make_layer builds it; `params` name the arguments
    a sweep varies (they become the build function's parameters)."""
    kind = layer.kind
    if kind not in catalog.LAYERS or not kind.isidentifier():
        raise NotExportable(f"layer '{kind:.60}' is not a Keras layer the notebook knows")
    args = dict(layer.args)
    args.setdefault("name", name)
    parts = [f"{keyword_name(k)}={(params or {}).get(k) or _argument(k, v)}" for k, v in args.items()]
    return f"keras.layers.{kind}({', '.join(parts)})"


def optimizer_class(name: str) -> str:
    return {v: k for k, v in catalog.OPTIMIZER_CLASSES.items()}[name]


class _Body:
    """Lines of a functional build function: tensors are variables, each layer applied where the spec applies it."""

    def __init__(self, run: RunSpec, dataset: DatasetSpec, input_shape: tuple[int, ...], max_value: int, mixed: bool,
                 names: list[str], params: dict[int, dict[str, str]]):
        from ..model.build import value_range

        self.run, self.dataset, self.max_value, self.mixed = run, dataset, max_value, mixed
        self.value_range = value_range(dataset, max_value)
        self.names, self.params, self.position = names, params, 0
        self.lines: list[str] = [f"inputs = keras.Input(shape={literal(tuple(input_shape))}, dtype='uint8', name='image')"]

    def apply(self, layer: LayerSpec, source: str, target: str, last: bool) -> None:
        from ..model.build import as_built

        layer = as_built(layer, self.value_range, self.mixed, last)
        name, position = self.names[self.position], self.position
        self.position += 1
        if layer.kind in catalog.APPLICATIONS:
            self.backbone(layer, name, source, target)
            return
        self.lines.append(f"{target} = {layer_code(layer, name, self.params.get(position))}({source})")

    def backbone(self, layer: LayerSpec, name: str, source: str, target: str) -> None:
        from ..model.backbones import APPLICATIONS, _input_size, backbone_input_shape

        args = layer.args
        weights = args.get("weights", "imagenet")
        if weights not in ("imagenet", None, "none"):
            raise NotExportable(f"run '{self.run.name}': backbone {layer.kind} starts from a weights file ({weights!r:.60}); "
                                "the notebook writes ImageNet or random starts only")
        start = "imagenet" if weights == "imagenet" else None
        shape = backbone_input_shape(args, tuple(self.input_shape))
        kwargs = ["include_top=False", f"weights={literal(start)}", f"input_shape={literal(shape)}",
                  f"pooling={literal(args.get('pooling'))}", f"name={literal(name)}"]
        if "alpha" in args:
            kwargs.append(f"alpha={literal(args['alpha'])}")
        self.lines.append("# the trained backbone as saved when the run is loaded (Keras' architecture can depend on `weights`)")
        self.lines.append(f"if saved:\n    backbone = keras.models.load_model(WEIGHTS / (saved + {literal(f'.{name}.keras')}))")
        self.lines.append(f"else:\n    backbone = keras.applications.{layer.kind}({', '.join(kwargs)})")
        self.lines.append(f"set_trainable(backbone, {bool(args.get('trainable', False))})")
        size = _input_size(args)
        if size is not None:
            self.lines.append(f"{source} = keras.layers.Resizing({size[0]}, {size[1]}, name={literal(name + '_resize')})({source})")
        to_255 = 255.0 / self.value_range[1]
        self.lines.append(f"{source} = BackbonePreprocess({literal(APPLICATIONS[layer.kind])}, {literal(to_255)}, "
                          f"name={literal(name + '_preprocess')})({source})")
        self.lines.append(f"# BatchNormalization stays in inference mode\n{target} = backbone({source}, training=False)")

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self._input_shape

    @input_shape.setter
    def input_shape(self, value: tuple[int, ...]) -> None:
        self._input_shape = value


def build_function(function: str, run: RunSpec, dataset: DatasetSpec, input_shape: tuple[int, ...], max_value: int,
                   params: dict[int, dict[str, str]] | None = None, signature: str = "", model_name: str | None = None,
                   functional: bool = False) -> str:
    """The source of `def function(signature): ... return model` building the run's model as build_model does: uint8
    images in, scaled (and flattened) inside the model, the spec's layers with the names reportgen gives them. A run
    started from another's base takes it as its parameter `base`. `functional`: the functional API for a chain too
    (its sub-models, an encoder, are cut from it by layer)."""
    from ..model.build import layer_names, safe_name

    spec, params = run.model, params or {}
    mixed = run.training.precision.startswith("mixed_")
    start = run.start if run.start and run.start.upto else None
    reserved = [safe_name(f"{start.run}_base")] if start else []
    names = layer_names(spec, reserved)
    model_name = literal(safe_name(model_name or run.name))
    scale = f"1 / {max_value}" if dataset.scale else "1.0"
    plain = (not functional and not spec.is_graph and not start and not mixed
             and not any(layer.kind in catalog.APPLICATIONS for layer in spec.layers))
    if plain:  # a chain: keras.Sequential, as the course writes it
        items = [f"keras.Input(shape={literal(tuple(input_shape))}, dtype='uint8', name='image')",
                 f"keras.layers.Rescaling({scale}, name='scale')"]
        if dataset.flatten:
            items.append("keras.layers.Flatten(name='flatten_input')")
        from ..model.build import as_built, value_range

        vr = value_range(dataset, max_value)
        items += [layer_code(as_built(layer, vr, False, False), names[i], params.get(i)) for i, layer in enumerate(spec.layers)]
        body = ",\n        ".join(items)
        return f"def {function}({signature}):\n    return keras.Sequential([\n        {body},\n    ], name={model_name})\n"
    b = _Body(run, dataset, input_shape, max_value, mixed, names, params)
    b.input_shape = tuple(input_shape)
    if start:
        b.lines.append("x = base(inputs)")
    else:
        b.lines.append(f"x = keras.layers.Rescaling({scale}, name='scale')(inputs)")
        if dataset.flatten:
            b.lines.append("x = keras.layers.Flatten(name='flatten_input')(x)")
    if spec.is_graph:
        idents = Identifiers({"inputs", "x", "base", "backbone", "keras"})
        tensors = {INPUT: "x"}
        for node in spec.graph:
            var = idents.make(node.name)
            sources = [tensors[s] for s in node.inputs]
            source = sources[0] if len(sources) == 1 else f"[{', '.join(sources)}]"
            for i, layer in enumerate(node.layers):
                b.apply(layer, source, var, node.name == spec.output and i == len(node.layers) - 1)
                source = var
            if not node.layers:
                b.lines.append(f"{var} = {source}")
            tensors[node.name] = var
        out = tensors[spec.output]
    else:
        for i, layer in enumerate(spec.layers):
            b.apply(layer, "x", "x", i == len(spec.layers) - 1)
        out = "x"
    b.lines.append(f"return keras.Model(inputs, {out}, name={model_name})")
    return f"def {function}({signature}):\n" + "".join(f"    {part}\n" for line in b.lines for part in line.split("\n"))
