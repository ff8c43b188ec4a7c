"""Which run is best by a metric (seed replicates by their means), and figures with `run: best` pointed at it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping

import numpy as np

from ..spec import ExperimentSpec
from ..spec.report import BEST
from .runs import run_failure
from .tables import accuracy_ratio

__all__ = ["ranked_runs", "resolve_best", "seed_values"]


def seed_values(result: Any, metric: str) -> list[float]:
    """A run's value of the metric per seed replicate (one for a single run); accuracies exact, from their counts."""
    replicates = getattr(result, "replicates", ()) or (result,)
    if metric.endswith("_accuracy"):
        return [accuracy_ratio(r, metric.removesuffix("_accuracy")) for r in replicates]
    return [float(r.metrics[metric]) for r in replicates]


def ranked_runs(runs: list[str], metric: str, results: Mapping[str, Any]) -> tuple[list[str], dict[str, float]]:
    """The runs that did not fail and report the metric, best first (means over seeds; file order on ties), and their
    means. Accuracies and PSNRs rank high first, losses and errors low first."""
    higher = metric.endswith(("accuracy", "psnr"))
    candidates = [name for name in runs if not run_failure(results[name]) and metric in results[name].metrics]
    means = {name: float(np.mean(seed_values(results[name], metric))) for name in candidates}
    return sorted(candidates, key=lambda name: -means[name] if higher else means[name]), means


def resolve_best(spec: ExperimentSpec, results: Mapping[str, Any]) -> ExperimentSpec:
    """The spec with every figure's `run: best` replaced by the run its candidates' results choose; the figure keeps
    `best_of` (and gains `chosen`) so that its caption says which run it shows and why. A figure whose candidates all
    failed shows the first of them (drawn as failed)."""
    sections = []
    for section in spec.sections:
        blocks = []
        for block in section.blocks:
            best_of = block.options.get("best_of") if block.kind == "figure" else None
            if best_of and block.options.get("run") == BEST:
                ranked, _ = ranked_runs(list(best_of["runs"]), best_of["metric"], results)
                chosen = ranked[0] if ranked else best_of["runs"][0]
                block = replace(block, options={**block.options, "run": chosen, "chosen": bool(ranked)})
            blocks.append(block)
        sections.append(replace(section, blocks=tuple(blocks)))
    return replace(spec, sections=tuple(sections))
