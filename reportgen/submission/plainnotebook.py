"""The submission's plain-Keras notebook (NAME.ipynb): generated cells only, and its printed test metrics results.json's."""

from __future__ import annotations

import ast
import json
import math
from typing import Any

__all__ = ["OUTPUT_TYPES", "check_plain_notebook", "printed_metrics"]

OUTPUT_TYPES = frozenset({"text/plain", "text/html", "image/png"})  # what the generated cells display


def printed_metrics(notebook: dict[str, Any]) -> dict[str, dict[str, dict[str, float]]] | None:
    """{run: {seed: metrics}} as the notebook's metrics cell printed them when it was executed; None if it was not."""
    from ..notebook.write import METRICS_TAG

    for cell in notebook.get("cells", []):
        if METRICS_TAG in (cell.get("metadata") or {}).get("tags", []):
            text = "".join("".join(o.get("text", "")) for o in cell.get("outputs", []) if o.get("output_type") == "stream")
            try:
                value = json.loads(text)
            except ValueError:
                return None
            return value if isinstance(value, dict) else None
    return None


def _same_cells(spec: Any, notebook: dict[str, Any]) -> str | None:
    """Why the notebook's cells are not the ones the generator writes for this experiment and the inputs the notebook
    records (data files found, input shapes, table settings), or None. Code is compared as Python's syntax trees, so a
    formatter's layout does not matter; Markdown as text; outputs only by their types."""
    from ..errors import ReportgenError
    from ..notebook.write import notebook_cells, read_inputs
    from ..quiet import import_keras

    import_keras()  # the generator names layers as Keras does; its start-up lines are not the grader's business
    try:
        inputs = read_inputs(notebook)
        expected, _ = notebook_cells(spec, inputs)
    except (ReportgenError, KeyError, TypeError, ValueError, AttributeError) as exc:
        return f"its recorded inputs do not make a notebook ({str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__})"
    cells = notebook.get("cells")
    if not isinstance(cells, list) or len(cells) != len(expected):
        return f"{len(cells) if isinstance(cells, list) else 'no'} cells where the generator writes {len(expected)}"
    for number, (cell, (kind, source, _)) in enumerate(zip(cells, expected), 1):
        text = cell.get("source")
        text = "".join(text) if isinstance(text, list) else text
        if cell.get("cell_type") != kind or not isinstance(text, str):
            return f"cell {number} is not the generated {kind} cell"
        if kind == "markdown" and text != source:
            return f"cell {number}: Markdown that the generator does not write"
        if kind == "code":
            try:
                same = ast.dump(ast.parse(text)) == ast.dump(ast.parse(source))
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                same = False
            if not same:
                return f"cell {number}: code that the generator does not write"
            for output in cell.get("outputs") or []:
                data = output.get("data") or {}
                if output.get("output_type") not in ("stream", "execute_result", "display_data", "error") or set(data) - OUTPUT_TYPES:
                    return f"cell {number}: an output of a type the generated code does not display"
        elif cell.get("outputs") or cell.get("attachments"):
            return f"cell {number}: a Markdown cell with attachments"
    return None


def _close(a: Any, b: Any) -> bool:
    return (isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool)
            and (a == b or (math.isnan(a) and math.isnan(b))))


def check_plain_notebook(spec: Any, data: bytes, results: dict[str, Any]) -> tuple[str | None, list[str]]:
    """(why the notebook is tampered, or None; its numbers that differ from results.json): every metric of every
    replicate that results.json has must be the one the notebook printed for that run and seed."""
    try:
        notebook = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return "not a notebook", []
    if not isinstance(notebook, dict):
        return "not a notebook", []
    tampered = _same_cells(spec, notebook)
    if tampered:
        return tampered, []
    printed = printed_metrics(notebook)
    if printed is None:
        return None, ["the notebook was not executed (its metrics cell printed nothing)"]
    differ = []
    for name, run in (results.get("runs") or {}).items():
        if not isinstance(run, dict) or run.get("status") != "ok":
            continue
        replicates = run.get("replicates") or [run]
        seeds = list((printed.get(name) or {}).items())
        if len(seeds) != len(replicates):
            differ.append(f"run '{name}': the notebook printed {len(seeds)} seed(s), results.json has {len(replicates)}")
            continue
        for replicate, (seed, ours) in zip(replicates, seeds):
            ours = ours if isinstance(ours, dict) else {}
            for key, value in (replicate.get("metrics") or {}).items():
                if key.startswith("test_") and not _close(value, ours.get(key)):
                    differ.append(f"run '{name}' seed {replicate.get('seed', seed)}: {key} is {value} in results.json, "
                                  f"{ours.get(key)} in the notebook")
    return None, differ
