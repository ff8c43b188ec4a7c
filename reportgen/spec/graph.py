"""Model graphs: `nodes:` of layer chains applied to named nodes, read into a ModelSpec (Keras' functional API)."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Callable

from . import catalog
from .blocks import expand
from .check import INVALID, Checker
from .model import LayerSpec, ModelSpec, NodeSpec
from .yamlsource import Located

__all__ = ["INPUT", "MAX_NODES", "read_graph", "unique_names"]

INPUT = "input"  # the dataset's images, scaled (and flattened) as the dataset says
_NODE = ("inputs", "layers")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")
MAX_NODES = 256  # bounds the graph walks (recursive); a ResNet-50 written node by node needs about 60


def unique_names(c: Checker, layers: list[LayerSpec], node: Located, path: str) -> bool:
    """Keras needs one name per layer; report the first repeated one."""
    names = [layer.name for layer in layers if layer.name]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        c.fail(node.mark, path, f"expected unique layer names. Received: '{duplicated[0]}' more than once")
    return not duplicated


def _named_layers(node: str, layers: list[LayerSpec]) -> list[LayerSpec]:
    """Unnamed layers are named after their node and kind (stem_conv2d, stem_conv2d_2): stable names for
    figures and diagrams, never Keras' global counters."""
    seen: dict[str, int] = {}
    named = []
    for layer in layers:
        if layer.name:
            named.append(layer)
            continue
        kind = layer.kind.lower()
        seen[kind] = seen.get(kind, 0) + 1
        named.append(replace(layer, args={**layer.args, "name": f"{node}_{kind}" + (f"_{seen[kind]}" if seen[kind] > 1 else "")}))
    return named


def _inputs(c: Checker, node: Located, path: str) -> tuple[str, ...] | Any:
    if isinstance(node.value, str):
        return (node.value,)
    items = c.sequence(node, path, "a node name or a list of node names", allow_empty=False)
    if items is INVALID:
        return INVALID
    names = [c.string(item, f"{path}[{i}]") for i, item in enumerate(items)]
    return INVALID if INVALID in names else tuple(names)


def _node(c: Checker, name: str, value: Located, path: str, previous: str,
          read_items: Callable[[Located, str], Any]) -> tuple[NodeSpec, dict[str, Located]] | Any:
    """`[layers]` (applied to the previous node) or `{inputs: NAME | [NAMES], layers: [...]}`."""
    marks: dict[str, Located] = {}
    if isinstance(value.value, dict):
        entries = c.mapping(value, path, _NODE, required=("layers",))
        if entries is INVALID or "layers" not in entries:
            return INVALID
        inputs = _inputs(c, entries["inputs"], f"{path}.inputs") if "inputs" in entries else (previous,)
        marks = {"inputs": entries.get("inputs", value)}
        items_node, items_path = entries["layers"], f"{path}.layers"
    else:
        inputs, items_node, items_path = (previous,), value, path
        marks = {"inputs": value}
    structure = read_items(items_node, items_path)
    if INVALID in (inputs, structure):
        return INVALID
    layers = _named_layers(name, expand(tuple(structure)))
    first = layers[0]
    if len(inputs) > 1 and first.kind not in catalog.MERGES:
        return c.fail(items_node.mark, items_path, f"expected a merge layer first ({', '.join(catalog.MERGES)}) to join the "
                                                   f"{len(inputs)} inputs {', '.join(inputs)}. Received: {first.kind}")
    for i, layer in enumerate(layers):
        if layer.kind in catalog.MERGES and (i > 0 or len(inputs) < 2):
            return c.fail(items_node.mark, items_path, f"expected a merge layer ({layer.kind}) only first in a node with "
                                                       f"several inputs. Received: it after {'a layer' if i else 'one input'}")
    return NodeSpec(name, tuple(inputs), tuple(layers), tuple(structure), where=f"{value.mark}: {path}"), marks


def _order(c: Checker, nodes: dict[str, NodeSpec], marks: dict[str, Located], path: str) -> list[NodeSpec] | Any:
    """Nodes with every input before its user (depth-first), or a located error for a cycle."""
    done: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str, trail: list[str]) -> bool:
        if state.get(name) == "done" or name not in nodes:  # the input, or an unknown name (reported already)
            return True
        if state.get(name) == "open":
            cycle = (trail[trail.index(name):] + [name])[::-1]  # in the direction the data flows
            c.fail(marks[name]["inputs"].mark, f"{path}.{name}", f"expected a graph without cycles. Received: {' -> '.join(cycle)}")
            return False
        state[name] = "open"
        ok = all(visit(source, [*trail, name]) for source in nodes[name].inputs)
        state[name] = "done"
        done.append(name)
        return ok

    ok = all([visit(name, []) for name in nodes])
    return [nodes[name] for name in done] if ok else INVALID


def read_graph(c: Checker, node: Located, path: str, read_items: Callable[[Located, str], Any]) -> ModelSpec | Any:
    """`{nodes: {name: layers | {inputs, layers}}, output: name}`: each node's layers applied to its inputs."""
    entries = c.mapping(node, path, ("nodes", "output"), required=("nodes",))
    if entries is INVALID:
        return INVALID
    declared = c.mapping(entries["nodes"], f"{path}.nodes", what="a mapping of node names to layers")
    if declared is INVALID:
        return INVALID
    if not declared:
        return c.expected(entries["nodes"], f"{path}.nodes", "at least one node")
    if len(declared) > MAX_NODES:
        return c.fail(entries["nodes"].mark, f"{path}.nodes", f"expected at most {MAX_NODES} nodes. Received: {len(declared)}")
    nodes: dict[str, NodeSpec] = {}
    marks: dict[str, dict[str, Located]] = {}
    previous, ok = INPUT, True
    for name, value in declared.items():
        where = f"{path}.nodes.{name}"
        key = entries["nodes"].key_marks[name]
        if not _NAME.match(str(name)) or name == INPUT:
            ok = c.fail(key, where, f"expected a node name of letters, digits and _ other than '{INPUT}'. Received: '{name}'")
            continue
        read = _node(c, name, value, where, previous, read_items)
        previous = name
        if read is INVALID:
            ok = False
            continue
        nodes[name], marks[name] = read
    if not ok:
        return INVALID
    known = [INPUT, *nodes]
    for name, spec in nodes.items():
        for i, source in enumerate(spec.inputs):
            at = marks[name]["inputs"]
            at = at.value[i] if isinstance(at.value, list) else at
            if source not in known:
                ok = c.name_in(Located(source, at.mark), f"{path}.nodes.{name}.inputs", [n for n in known if n != name], "node") and ok
    output = list(nodes)[-1]
    if "output" in entries:
        output = c.name_in(entries["output"], f"{path}.output", list(nodes), "node")
        if output is INVALID:
            return INVALID
    ordered = _order(c, nodes, marks, f"{path}.nodes")
    if ordered is INVALID or not ok:  # an unknown input leaves the node it meant unused: one error, not two
        return INVALID
    used = {source for spec in nodes.values() for source in spec.inputs}
    for name in nodes:
        if name != output and name not in used:
            ok = c.fail(entries["nodes"].key_marks[name], f"{path}.nodes.{name}",
                        f"node '{name}' is never used: no node takes it as input and it is not the output ('{output}')")
    layers = [layer for spec in ordered for layer in spec.layers]
    if not ok or not unique_names(c, layers, entries["nodes"], f"{path}.nodes"):
        return INVALID
    return ModelSpec(tuple(layers), tuple(layers), tuple(ordered), output)
