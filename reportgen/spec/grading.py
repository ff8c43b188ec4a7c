"""The `grading:` block: which runs and metrics a grader checks, with what tolerance, and what a report must contain."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import catalog
from .check import INVALID, Checker
from .yamlsource import Located

__all__ = ["GRADED_METRICS", "FigureRequirement", "GradingSpec", "LeaderboardSpec", "read_grading"]

# The numbers of a run's entry in results.json that a grader can compare (counts are per seed; accuracies come from them).
GRADED_METRICS = ("test_accuracy", "train_accuracy", "test_loss", "train_loss", "test_mse", "train_mse", "test_psnr", "noisy_psnr")
_KEYS = ("runs", "metrics", "tolerance", "k", "sections", "figures", "leaderboard")


@dataclass(frozen=True)
class FigureRequirement:
    """A figure the report must show: its kind, and optionally the run it shows."""

    kind: str
    run: str | None = None

    def label(self) -> str:
        return f"{self.kind} of {self.run}" if self.run else self.kind


@dataclass(frozen=True)
class LeaderboardSpec:
    """What a class leaderboard ranks submissions by: one run's metric."""

    run: str
    metric: str = "test_accuracy"


@dataclass(frozen=True)
class GradingSpec:
    """A reference experiment's grading rules; only the grader's reference file's block is used, a student's is ignored."""

    runs: tuple[str, ...] = ()  # run names (a swept run's written name stands for each variant); (): every run
    metrics: tuple[str, ...] = ("test_accuracy",)
    tolerance: dict[str, float] = field(default_factory=dict)  # absolute, per metric; 0 (exactly equal) unless given
    k: float = 2.0  # runs with seed replicates: |reported mean - regenerated mean| <= k * std
    sections: tuple[str, ...] = ()  # section titles a report must have
    figures: tuple[FigureRequirement, ...] = ()
    leaderboard: LeaderboardSpec | None = None

    def tolerance_of(self, metric: str) -> float:
        return float(self.tolerance.get(metric, 0.0))


def read_grading(c: Checker, node: Located, path: str, runs: dict[str, Any] | Any, groups: dict[str, list[str]],
                 sections: tuple[Any, ...] | Any) -> GradingSpec | Any:
    """The `grading:` mapping checked against this file's runs (swept runs by their variants' names or the name written)
    and section titles; every mistake located. Where the runs themselves are invalid, run names are only read as texts."""
    entries = c.mapping(node, path, _KEYS, what="a mapping of grading settings (runs, metrics, tolerance, k, sections, "
                                                 "figures, leaderboard)")
    if entries is INVALID:
        return INVALID
    known_runs = list(dict.fromkeys([*runs, *(g for g, members in groups.items() if members and members != [g])])) if runs else None
    values: dict[str, Any] = {}
    if "runs" in entries:
        values["runs"] = _names(c, entries["runs"], f"{path}.runs", known_runs, "run")
    if "metrics" in entries:
        values["metrics"] = _names(c, entries["metrics"], f"{path}.metrics", list(GRADED_METRICS), "metric")
    if "tolerance" in entries:
        values["tolerance"] = _tolerance(c, entries["tolerance"], f"{path}.tolerance")
    if "k" in entries:
        k = c.number(entries["k"], f"{path}.k", minimum=0)
        values["k"] = INVALID if k is INVALID else float(k)
    if "sections" in entries:
        titles = [s.title for s in sections] if isinstance(sections, tuple) else []
        values["sections"] = _sections(c, entries["sections"], f"{path}.sections", titles)
    if "figures" in entries:
        values["figures"] = _figures(c, entries["figures"], f"{path}.figures", known_runs)
    if "leaderboard" in entries:
        values["leaderboard"] = _leaderboard(c, entries["leaderboard"], f"{path}.leaderboard", known_runs)
    if any(v is INVALID for v in values.values()):
        return INVALID
    return GradingSpec(**values)


def _name(c: Checker, node: Located, path: str, known: list[str] | None, kind: str) -> str | Any:
    """A name among `known` (None: the names are not known, as when the runs are invalid: any text)."""
    return c.string(node, path) if known is None else c.name_in(node, path, known, kind)


def _names(c: Checker, node: Located, path: str, known: list[str] | None, kind: str) -> tuple[str, ...] | Any:
    items = c.sequence(node, path, f"a list of {kind} names", allow_empty=False)
    if items is INVALID:
        return INVALID
    names = c.each(items, path, lambda n, p: _name(c, n, p, known, kind))
    return INVALID if INVALID in names else tuple(dict.fromkeys(names))


def _tolerance(c: Checker, node: Located, path: str) -> dict[str, float] | Any:
    entries = c.mapping(node, path, GRADED_METRICS, what="a mapping of metric names to absolute tolerances")
    if entries is INVALID:
        return INVALID
    values = {metric: c.number(value, f"{path}.{metric}", minimum=0) for metric, value in entries.items()}
    return INVALID if INVALID in values.values() else {k: float(v) for k, v in values.items()}


def _sections(c: Checker, node: Located, path: str, titles: list[str]) -> tuple[str, ...] | Any:
    items = c.sequence(node, path, "a list of section titles", allow_empty=False)
    if items is INVALID:
        return INVALID
    found = []
    for i, item in enumerate(items):
        title = c.string(item, f"{path}[{i}]")
        if title is not INVALID and titles and title.strip().casefold() not in {t.strip().casefold() for t in titles}:
            title = c.name_in(item, f"{path}[{i}]", titles, "section title of this file")
        found.append(title)
    return INVALID if INVALID in found else tuple(found)


def _figures(c: Checker, node: Located, path: str, runs: list[str] | None) -> tuple[FigureRequirement, ...] | Any:
    items = c.sequence(node, path, "a list of figures ({kind: weights, run: dense1})", allow_empty=False)
    if items is INVALID:
        return INVALID
    found = []
    for i, item in enumerate(items):
        where = f"{path}[{i}]"
        fields = c.mapping(item, where, ("kind", "run"), required=("kind",), what="a figure: {kind: KIND, run: RUN}")
        if fields is INVALID or "kind" not in fields:
            found.append(INVALID)
            continue
        kind = c.name_in(fields["kind"], f"{where}.kind", list(catalog.FIGURES), "figure kind")
        run = _name(c, fields["run"], f"{where}.run", runs, "run") if "run" in fields else None
        found.append(INVALID if INVALID in (kind, run) else FigureRequirement(kind, run))
    return INVALID if INVALID in found else tuple(found)


def _leaderboard(c: Checker, node: Located, path: str, runs: list[str] | None) -> LeaderboardSpec | Any:
    fields = c.mapping(node, path, ("run", "metric"), required=("run",), what="{run: RUN, metric: METRIC}")
    if fields is INVALID or "run" not in fields:
        return INVALID
    run = _name(c, fields["run"], f"{path}.run", runs, "run")
    metric = c.name_in(fields["metric"], f"{path}.metric", list(GRADED_METRICS), "metric") if "metric" in fields else "test_accuracy"
    return INVALID if INVALID in (run, metric) else LeaderboardSpec(run, metric)
