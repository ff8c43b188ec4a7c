"""Reported against regenerated: a verdict per number, required runs/sections/figures, the workbook cell by cell."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ..spec import ExperimentSpec
from ..spec.grading import GRADED_METRICS, GradingSpec
from .safezip import UnsafeZip, check_zip

__all__ = ["REPRODUCED", "WITHIN", "NOT_REPRODUCED", "MISSING", "compare_workbook", "missing_required", "number_verdict",
           "run_metrics"]

REPRODUCED, WITHIN, NOT_REPRODUCED, MISSING = "reproduced", "within tolerance", "NOT reproduced", "missing"


def _number(value: Any) -> float | None:
    """A number from untrusted JSON (a bool, a text or a structure is no number)."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _entry(results: dict[str, Any], run: str, part: str) -> dict[str, Any]:
    entry = results.get(run) if isinstance(results, dict) else None
    value = entry.get(part) if isinstance(entry, dict) else None
    return value if isinstance(value, dict) else {}


def run_metrics(run: str, reported: dict[str, Any], regenerated: dict[str, Any]) -> list[str]:
    """Every metric either side reports for a run (counts aside), in the order of GRADED_METRICS, then by name."""
    names = {m for side in (reported, regenerated) for m in _entry(side, run, "metrics") if isinstance(m, str)}
    names = {m for m in names if not m.endswith(("_correct", "_total"))}
    return sorted(names, key=lambda m: (GRADED_METRICS.index(m) if m in GRADED_METRICS else len(GRADED_METRICS), m))


def number_verdict(run: str, metric: str, reported: dict[str, Any], regenerated: dict[str, Any], rules: GradingSpec) -> dict[str, Any]:
    """The fields of a Verdict for one number. Every bound comes from the grader's side: a run the rebuild trained with
    seed replicates passes when |reported mean - regenerated mean| <= k * the rebuild's std (or the metric's tolerance, if
    larger); any other number within the reference's tolerance. What the zip says of its own spread is never read."""
    raw = _entry(reported, run, "metrics").get(metric)
    mine = _number(raw)
    again = _number(_entry(regenerated, run, "metrics").get(metric))
    spread = _number(_entry(regenerated, run, "std").get(metric))
    std = spread if spread is not None and math.isfinite(spread) else None
    bound = max(rules.k * std, rules.tolerance_of(metric)) if std is not None else rules.tolerance_of(metric)
    note = None
    if mine is None:
        verdict = MISSING
        note = None if raw is None else f"the reported value is not a number ({type(raw).__name__})"
    elif not math.isfinite(mine):
        verdict, note = NOT_REPRODUCED, f"the reported value is not a finite number ({mine})"
    elif again is None or not math.isfinite(again):
        verdict, note = NOT_REPRODUCED, "the rebuild gave no finite value"
    elif mine == again:
        verdict = REPRODUCED
    elif abs(mine - again) <= bound:
        verdict = WITHIN
    else:
        verdict = NOT_REPRODUCED
    return {"run": run, "metric": metric, "reported": mine, "regenerated": again, "std": std, "tolerance": bound,
            "verdict": verdict, "note": note}


def missing_required(rules: GradingSpec, spec: ExperimentSpec) -> dict[str, list[str]]:
    """The reference's required sections and figures that the submission's experiment lacks ('runs' is filled by the caller)."""
    titles = {section.title.strip().casefold() for section in spec.sections}
    figures = [block.options for section in spec.sections for block in section.blocks if block.kind == "figure"]
    missing_figures = []
    for need in rules.figures:
        shown = [f for f in figures if f.get("kind") == need.kind]
        if need.run:
            shown = [f for f in shown if need.run in (f.get("runs") or [f.get("run")]) or
                     any(str(r).startswith(f"{need.run}[") for r in (f.get("runs") or [f.get("run")]))]
        if not shown:
            missing_figures.append(need.label())
    return {"runs": [], "sections": [t for t in rules.sections if t.strip().casefold() not in titles], "figures": missing_figures}


def _cells(data: bytes, what: str) -> dict[str, tuple[Any, Any]]:
    """{'sheet!A1': (value, formula or None)} of every non-empty cell; the xlsx (itself a zip) checked as one first."""
    from io import BytesIO

    from openpyxl import load_workbook

    check_zip(data, what).close()
    formulas = load_workbook(BytesIO(data), read_only=True)
    values = load_workbook(BytesIO(data), read_only=True, data_only=True)
    out: dict[str, tuple[Any, Any]] = {}
    for sheet in formulas.sheetnames:
        cached = {(c.row, c.column): c.value for row in values[sheet].iter_rows() for c in row if getattr(c, "value", None) is not None}
        for row in formulas[sheet].iter_rows():
            for cell in row:
                raw = getattr(cell, "value", None)
                if raw is None:
                    continue
                formula = raw if isinstance(raw, str) and raw.startswith("=") else None
                out[f"{sheet}!{cell.coordinate}"] = (cached.get((cell.row, cell.column)) if formula else raw, formula)
    formulas.close()
    values.close()
    return out


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, (int, float, str, bool)) else str(value)


def compare_workbook(name: str, submitted: Path | None, regenerated: Path) -> list[dict[str, Any]]:
    """Cell by cell, exactly: the value (a formula's cached value) and the formula. Text cells appear only where they differ."""
    if submitted is None:
        return [{"cell": name, "reported": None, "regenerated": None, "verdict": MISSING}]
    again = _cells(regenerated.read_bytes(), name)
    try:
        mine = _cells(submitted.read_bytes(), name)
    except UnsafeZip as exc:
        return [{"cell": name, "reported": str(exc), "regenerated": None, "verdict": NOT_REPRODUCED}]
    except Exception as exc:  # noqa: BLE001 - any workbook openpyxl cannot read is one that does not reproduce
        return [{"cell": name, "reported": f"unreadable ({type(exc).__name__})", "regenerated": None, "verdict": NOT_REPRODUCED}]
    rows = []
    for cell in sorted(set(again) | set(mine), key=lambda c: (c.split("!")[0], len(c), c)):
        theirs, ours = mine.get(cell), again.get(cell)
        same = theirs == ours
        numeric = any(side is not None and (side[1] is not None or isinstance(side[0], (int, float))) for side in (theirs, ours))
        if same and not numeric:
            continue
        verdict = REPRODUCED if same else (MISSING if theirs is None else NOT_REPRODUCED)
        rows.append({"cell": f"{name}:{cell}", "reported": _plain(theirs[0]) if theirs else None,
                     "regenerated": _plain(ours[0]) if ours else None, "verdict": verdict})
    return rows
