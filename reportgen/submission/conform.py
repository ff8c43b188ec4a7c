"""Whether a submission's numbers stand for what the reference grades: the reference's profile, and each run's test set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ReportgenError
from ..numbers import count
from ..spec import ExperimentSpec
from ..text import field

__all__ = ["claimed_profile", "profile_problem", "differing_test_sets"]


def claimed_profile(results: dict[str, Any], manifest: dict[str, Any]) -> set[str]:
    """The profiles the submission says it was built with (results.json and manifest.json; a forgery may make them differ)."""
    return {field(value, 40) for value in (results.get("profile"), manifest.get("profile")) if value is not None}


def _quick(spec: ExperimentSpec) -> str:
    q = spec.quick
    return f"{q.train:,} training and {q.test:,} test images, {count(q.epochs, 'epoch')}"


def profile_problem(claimed: set[str], profile: str, spec: ExperimentSpec, reference: ExperimentSpec) -> str | None:
    """Why the submission cannot be graded at the reference's profile (`full`, or `quick` when the grader asks for it):
    it was built at another, or its quick subset is its own. None when it conforms."""
    other = sorted(claimed - {profile})
    if other:
        built = f"a {other[0]} build" if len(claimed) == 1 else f"a build whose files disagree on its profile ({', '.join(sorted(claimed))})"
        return f"refused: {built}; the reference is graded at its {profile} profile, and a number stands for that profile's data and epochs"
    if profile == "quick" and spec.quick != reference.quick:
        return f"refused: its quick profile ({_quick(spec)}) is not the reference's ({_quick(reference)})"
    return None


def _test_set(spec: ExperimentSpec, run: str, data: dict[str, Any], memo: Path) -> dict[str, Any]:
    """What decides the images a run is tested on: the source, its options (the folder as its files' fingerprint; class
    names aside), and the test subset of the profile. `data` keeps each dataset's fingerprint: runs share datasets."""
    from ..data import file_fingerprint
    from ..run.datasets import locate_dataset

    chosen = spec.runs[run]
    dataset = spec.datasets[chosen.dataset]
    if dataset.name not in data:  # Food-101 lists every image: located and fingerprinted once per dataset
        found = locate_dataset(dataset)
        data[dataset.name] = file_fingerprint(found.files, memo) if found.files else found.origin
    options = {k: v for k, v in dataset.options.items() if k != "path" and not (k == "classes" and isinstance(v, (list, tuple)))}
    return {"source": dataset.source, "options": options, "data": data[dataset.name],
            "test images": f"a subset of {chosen.subset[1]:,}" if chosen.subset else "all"}


def _describe(key: str, value: Any) -> str:
    if key == "data":
        return str(value)[:12]
    if key == "options":
        return ", ".join(f"{k}: {v}" for k, v in sorted(value.items())) or "none"
    return str(value)


def differing_test_sets(spec: ExperimentSpec, reference: ExperimentSpec, runs: list[str], memo: Path) -> dict[str, str]:
    """{run: why} for each graded run (present in both) whose test set is not the reference's run's. A submission's
    dataset that cannot be found here differs too; the reference's own is the grader's mistake (ReportgenError)."""
    out: dict[str, str] = {}
    ours: dict[str, Any] = {}  # the reference's datasets, and the submission's, each fingerprinted once
    submitted: dict[str, Any] = {}
    for run in runs:
        if run not in spec.runs or run not in reference.runs:
            continue
        expected = _test_set(reference, run, ours, memo)
        try:
            theirs = _test_set(spec, run, submitted, memo)
        except ReportgenError as exc:
            out[run] = f"its dataset cannot be read here ({field(str(exc).splitlines()[0], 160)})"
            continue
        changed = [key for key in expected if theirs[key] != expected[key]]
        if changed:
            out[run] = "its test set is not the reference's: " + "; ".join(
                f"{key} {_describe(key, theirs[key])} instead of {_describe(key, expected[key])}" for key in changed)
    return out
