"""Expand a run's `sweep:` grid (dotted paths to lists of values) into one run node per combination."""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import replace
from typing import Any

from . import catalog
from ..limits import exceeded, limit
from .check import INVALID, Checker
from .yamlsource import Located

__all__ = ["expand_sweep"]

_STEP = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def _steps(path: str) -> list[str | int] | None:
    steps: list[str | int] = []
    for part in path.split("."):
        pos = 0
        while pos < len(part):
            match = _STEP.match(part, pos)
            if not match:
                return None
            steps.append(match.group(1) if match.group(1) else int(match.group(2)))
            pos = match.end()
        if pos == 0:
            return None
    return steps


def _with(node: Located, steps: list[str | int], value: Located) -> Located:
    """A copy of node with the value at steps replaced (mappings gain missing keys); KeyError if no such place."""
    if not steps:
        return value
    head, rest = steps[0], steps[1:]
    if isinstance(head, int):
        if not isinstance(node.value, list) or head >= len(node.value):
            raise KeyError(head)
        items = list(node.value)
        items[head] = _with(items[head], rest, value)
        return replace(node, value=items)
    if not isinstance(node.value, dict):
        raise KeyError(head)
    layer = _layer_key(node)
    if layer is not None and head != layer:  # `model[0].units` reaches into `{Dense: {units: ..}}`
        args = node.value[layer]
        if not isinstance(args.value, dict):
            main = catalog.LAYER_MAIN_ARG.get(layer)
            args = Located({main: args} if args.value is not None and main else {}, args.mark, {})
        return replace(node, value={layer: _with(args, steps, value)})
    entries = dict(node.value)
    current = entries.get(head, Located({}, value.mark, {}))  # `training.epochs` on a run with no `training:`
    entries[head] = _with(current, rest, value)
    marks = dict(node.key_marks or {})
    marks.setdefault(head, value.mark)
    return replace(node, value=entries, key_marks=marks)


def _layer_key(node: Located) -> str | None:
    if isinstance(node.value, dict) and len(node.value) == 1:
        (key,) = node.value
        if key in catalog.LAYERS:
            return key
    return None


def _label(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _too_many(c: Checker, sweep: Located, path: str, lengths: list[int], before: int) -> bool:
    """Refuse (located at the sweep) a grid that would take the experiment past limit('runs'), before it is expanded."""
    size = math.prod(lengths)
    if before + size <= limit("runs"):
        return False
    grid = f"a grid of {size:,} runs ({' x '.join(str(n) for n in lengths)})"
    c.fail(sweep.mark, path, exceeded("runs", f"{before + size:,} runs ({before:,} before this sweep and {grid})" if before else grid))
    return True


def expand_sweep(c: Checker, name: str, run: Located, sweep: Located, path: str,
                 before: int = 0) -> list[tuple[str, Located, dict[str, Any]]] | None:
    """[(run name, run node with the values set, {param: value})] per grid point; [] on error; None past limit('runs')."""
    grid = c.mapping(sweep, path, what="a mapping of parameter paths to lists of values")
    if grid is INVALID or not grid:
        if grid is not INVALID:
            c.expected(sweep, path, "at least one parameter path")
        return []
    axes: list[tuple[str, list[str | int], list[tuple[str | None, Located]]]] = []
    for key, values in grid.items():
        steps = _steps(key)
        if steps is None:
            c.fail(sweep.key_marks[key], f"{path}.{key}", "expected a parameter path such as 'training.epochs' or 'model[0].units'")
            continue
        if isinstance(values.value, dict) and values.value:  # {label: value}: named choices, e.g. augmentation strategies
            axes.append((key, steps, list(values.value.items())))
            continue
        items = c.sequence(values, f"{path}.{key}", "a non-empty list of values, or a mapping of labels to values", allow_empty=False)
        if items is not INVALID:
            axes.append((key, steps, [(None, item) for item in items]))
    if len(axes) != len(grid):
        return []
    if _too_many(c, sweep, path, [len(items) for _, _, items in axes], before):
        return None
    expanded = []
    base = Located({k: v for k, v in run.value.items() if k != "sweep"}, run.mark, run.key_marks)
    for combo in itertools.product(*(items for _, _, items in axes)):
        node, params, labels = base, {}, []
        for (key, steps, _), (label, value) in zip(axes, combo, strict=True):
            try:
                node = _with(node, steps, value)
            except KeyError:
                c.fail(sweep.key_marks[key], f"{path}.{key}", f"expected a path to a value of run '{name}'. Received: '{key}' (no such place)")
                return []
            params[str(steps[-1])] = label if label is not None else value.plain()
            labels.append(label if label is not None else f"{steps[-1]}={_label(value.plain())}")
        expanded.append((f"{name}[{', '.join(labels)}]", node, params))
    return expanded
