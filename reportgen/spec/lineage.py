"""Runs that start from other runs: references resolved (a swept parent expands its children), cycles and layers checked."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from .check import INVALID, Checker
from .model import RunSpec
from .yamlsource import Mark

__all__ = ["Reference", "resolve_lineage", "topological"]

Reference = tuple[str, Mark, str]  # (the name written, where, its YAML path)
_LABEL = re.compile(r"^[^\[]*\[(.*)\]$")


def topological(runs: dict[str, RunSpec]) -> list[str]:
    """Run names in an order where every parent comes before its children (file order otherwise)."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        for parent in runs[name].parents():
            if parent in runs:
                visit(parent)
        order.append(name)

    for name in runs:
        visit(name)
    return order


def _group_of(ref: str, groups: dict[str, list[str]]) -> str | None:
    if ref in groups:
        return ref
    return next((g for g, members in groups.items() if ref in members), None)


def _cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """A cycle of the written runs' references, as a path that ends where it starts; None if there is none."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in graph:
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def _label(name: str) -> str:
    match = _LABEL.match(name)
    return match.group(1) if match else name


def _with_parent(run: RunSpec, field: str, parent: str, group: str, many: bool) -> RunSpec:
    """The run pointed at one parent; when the parent is one of a sweep, the child is named after it too."""
    if field == "start":
        run = replace(run, start=replace(run.start, run=parent))
    else:
        run = replace(run, features=replace(run.features, run=parent))
    if not many:
        return run
    label = _label(parent)
    name = f"{run.name[:-1]}, {label}]" if run.name.endswith("]") else f"{run.name}[{label}]"
    return replace(run, name=name, sweep={**run.sweep, group: label})


def resolve_lineage(c: Checker, runs: dict[str, RunSpec], groups: dict[str, list[str]],
                    refs: dict[str, dict[str, Reference]]) -> tuple[dict[str, RunSpec], dict[str, list[str]]] | Any:
    """Point every `from:` and `features:` at run names; a reference to a swept run gives one child per variant.
    `refs`: {run name: {'start' | 'features': (name written, mark, path)}}."""
    known = [*groups, *(m for ms in groups.values() for m in ms if m not in groups)]
    graph: dict[str, list[str]] = {g: [] for g in groups}
    targets: dict[tuple[str, str], str] = {}  # (run, field) -> the group or run it names
    ok = True
    for name, fields in refs.items():
        group = _group_of(name, groups)
        for field, (ref, mark, path) in fields.items():
            if ref not in known:
                c.fail(mark, path, f"unknown run '{ref}'; known: {', '.join(known)}.{_mean(ref, known)}")
                ok = False
                continue
            targets[(name, field)] = ref
            parent_group = _group_of(ref, groups)
            if parent_group and group and parent_group not in graph[group]:
                graph[group].append(parent_group)
    if not ok:
        return INVALID
    cycle = _cycle(graph)
    if cycle:
        name = next(m for m in groups[cycle[0]] if m in refs)
        _, mark, path = next(iter(refs[name].values()))
        return c.fail(mark, path, f"expected runs that do not start from each other. Received: a cycle {' -> '.join(cycle)}")
    expanded: dict[str, list[tuple[RunSpec, str]]] = {}  # group -> [(run, the name its references are written under)]
    done_groups: dict[str, list[str]] = {}
    for group in _group_order(graph):
        members: list[tuple[RunSpec, str]] = []
        for name in groups[group]:
            variants = [runs[name]]
            for field in ("start", "features"):
                ref = targets.get((name, field))
                if ref is None:
                    continue
                parents = done_groups.get(ref, [ref]) if ref in groups else [ref]
                variants = [_with_parent(v, field, p, ref, len(parents) > 1) for v in variants for p in parents]
            members.extend((v, name) for v in variants)
        expanded[group] = members
        done_groups[group] = [m.name for m, _ in members]
    out: dict[str, RunSpec] = {}
    for group in groups:
        for run, origin in expanded[group]:
            if run.name in out:
                _, mark, path = next(iter(refs[origin].values()))
                return c.fail(mark, path, f"expected unique run names. Received: '{run.name}' twice (a child is named after "
                                          "the swept run it starts from)")
            out[run.name] = run
    for group in groups:
        for run, origin in expanded[group]:
            ok = _check(c, run, out, refs.get(origin, {})) and ok
    return (out, done_groups) if ok else INVALID


def _group_order(graph: dict[str, list[str]]) -> list[str]:
    order: list[str] = []

    def visit(node: str) -> None:
        if node in order:
            return
        for parent in graph[node]:
            visit(parent)
        order.append(node)

    for node in graph:
        visit(node)
    return order


def _named(run: RunSpec) -> list[str]:
    return [layer.name for layer in run.model.layers if layer.name]


def _check(c: Checker, run: RunSpec, runs: dict[str, RunSpec], refs: dict[str, Reference]) -> bool:
    """A parent is a Keras run, and the layers named are its own (and, for copied weights, the child's too)."""
    ok = True

    def fail(mark: Mark, path: str, message: str) -> None:
        nonlocal ok
        c.fail(mark, path, message)
        ok = False

    for field, parent_name in (("start", run.start and run.start.run), ("features", run.features and run.features.run)):
        if not parent_name:
            continue
        parent = runs[parent_name]
        _, mark, path = refs[field]
        where = path.rsplit(".", 1)[0]
        if parent.kind == "estimator":
            fail(mark, path, f"expected a Keras run to start from. Received: '{parent_name}', a scikit-learn estimator")
            continue
        layers = _named(parent)
        wanted = ([run.start.upto] if run.start.upto else list(run.start.layers)) if field == "start" else [run.features.layer]
        if field == "features" and wanted == [None]:
            if not parent.code:
                fail(mark, path, f"expected `layer:` (run '{parent_name}' declares no `code:` layer); its named layers: "
                                        f"{', '.join(layers) or 'none'}")
                continue
            wanted = [parent.code]
        for layer in wanted:
            if layer not in layers:
                fail(mark, where, f"unknown layer '{layer}' of run '{parent_name}'; its named layers: "
                                         f"{', '.join(layers) or 'none (name the layers in its model)'}.{_mean(layer, layers)}")
        if field == "start" and run.start.layers:
            missing = [layer for layer in run.start.layers if layer not in _named(run)]
            if missing:
                fail(mark, where, f"expected layers named {', '.join(missing)} in this run's model too, to receive "
                                         f"the weights of '{parent_name}'")
    return ok


def _mean(name: str, known: list[str]) -> str:
    from ..registry import did_you_mean

    return did_you_mean(name, known)
