"""Rebuild a submission's graded runs (and the runs they start from) with the grader's data path and cache."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..spec import ExperimentSpec
from ..spec.select import with_runs

__all__ = ["cache_root", "rebuild", "select_runs"]


def select_runs(spec: ExperimentSpec, names: list[str]) -> ExperimentSpec:
    """The experiment cut to these runs and the runs they start from, without report sections (no figure probes)."""
    return replace(with_runs(spec, names), sections=(), convolution=None, selected=())


def _precision(manifest: dict[str, Any]) -> str | None:
    """mixed_bfloat16 when the manifest says every run trained so (the precision is part of each run's identity)."""
    runs = manifest.get("runs")
    trained = [t for entry in runs.values() if isinstance(entry, dict) for t in entry.get("trained") or [] if isinstance(t, dict)] \
        if isinstance(runs, dict) else []
    return "mixed_bfloat16" if trained and all(t.get("precision") == "mixed_bfloat16" for t in trained) else None


def cache_root(cache: Path | None) -> Path:
    """The grader's result cache: the one given, else $REPORTGEN_CACHE, else build/cache."""
    return Path(cache or os.environ.get("REPORTGEN_CACHE", "build/cache"))


def rebuild(spec: ExperimentSpec, names: list[str], profile: str, manifest: dict[str, Any],
            cache: Path | None) -> dict[str, dict[str, Any]]:
    """{run: its results.json entry, regenerated} for `names`, at `profile` (the reference's: 'full' or 'quick') and
    the submission's precision; runs with a trusted entry in the grader's cache are read from it, the others train."""
    if not names:
        return {}
    from ..run import Cache, run_experiment

    chosen = select_runs(spec.with_profile(profile), names)
    precision = _precision(manifest)
    chosen = chosen.with_precision(precision) if precision else chosen
    regenerated = run_experiment(chosen, Cache(cache_root(cache)), show_progress=sys.stderr.isatty())
    return {name: regenerated[name].summary() for name in names if name in regenerated}
