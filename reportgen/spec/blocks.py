"""Repeated blocks in a model: `{repeat: N, layers: [...], each: {arg: [value per repeat]}}`, expanded to layers."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Union

from . import catalog
from .args import read_arg
from .check import INVALID, Checker
from .model import LayerSpec
from .yamlsource import Located

__all__ = ["RepeatSpec", "expand", "read_repeat"]


@dataclass(frozen=True)
class RepeatSpec:
    """A block of layers (and blocks) written once and repeated; `each` varies arguments per repeat."""

    times: int
    items: tuple[Union[LayerSpec, "RepeatSpec"], ...]
    each: dict[str, list[Any]] = field(default_factory=dict)


def _layers_in(items: tuple[LayerSpec | RepeatSpec, ...]) -> list[LayerSpec]:
    found: list[LayerSpec] = []
    for item in items:
        found.extend(_layers_in(item.items) if isinstance(item, RepeatSpec) else [item])
    return found


def read_repeat(c: Checker, node: Located, path: str, read_items: Callable[[Located, str], Any]) -> RepeatSpec | Any:
    """Check a repeat block; `read_items` reads its `layers:` list (layers and nested blocks)."""
    entries = c.mapping(node, path, ("repeat", "layers", "each"), required=("repeat", "layers"))
    if entries is INVALID or not {"repeat", "layers"} <= set(entries):
        return INVALID
    times = c.integer(entries["repeat"], f"{path}.repeat", minimum=1)
    items = read_items(entries["layers"], f"{path}.layers")
    if INVALID in (times, items):
        return INVALID
    each: dict[str, list[Any]] = {}
    if "each" in entries:
        varied = c.mapping(entries["each"], f"{path}.each", what="a mapping of layer arguments to one value per repeat")
        if varied is INVALID:
            return INVALID
        layers = _layers_in(items)
        for arg, values in varied.items():
            where = f"{path}.each.{arg}"
            kinds = [catalog.LAYERS[layer.kind][arg] for layer in layers if arg in catalog.LAYERS[layer.kind]]
            if not kinds:
                return c.fail(entries["each"].key_marks[arg], where, f"expected an argument of a layer in this block. Received: '{arg}' "
                                                                     f"(layers: {', '.join(sorted({la.kind for la in layers}))})")
            listed = c.sequence(values, where, f"a list of {times} values, one per repeat")
            if listed is INVALID:
                return INVALID
            if len(listed) != times:
                return c.expected(values, where, f"{times} values, one per repeat; got {len(listed)}")
            checked = [read_arg(c, kinds[0], value, f"{where}[{i}]") for i, value in enumerate(listed)]
            if INVALID in checked:
                return INVALID
            each[arg] = checked
    return RepeatSpec(times, tuple(items), each)


def expand(items: tuple[LayerSpec | RepeatSpec, ...], each: dict[str, Any] | None = None, suffix: str = "") -> list[LayerSpec]:
    """The flat layer list: repeats unrolled, `each` values set, names suffixed _1, _2, ... per repeat."""
    layers: list[LayerSpec] = []
    for item in items:
        if isinstance(item, RepeatSpec):
            for i in range(item.times):
                chosen = {**(each or {}), **{arg: values[i] for arg, values in item.each.items()}}
                layers.extend(expand(item.items, chosen, f"{suffix}_{i + 1}" if item.times > 1 else suffix))
            continue
        args = dict(item.args)
        args.update({arg: value for arg, value in (each or {}).items() if arg in catalog.LAYERS[item.kind]})
        if "name" in args and suffix:
            args["name"] = f"{args['name']}{suffix}"
        layers.append(replace(item, args=args))
    return layers
