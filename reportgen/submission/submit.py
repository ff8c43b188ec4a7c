"""submit: a built experiment -> build/NAME/submission.zip (report, workbooks, experiment files, results, notebook, manifest)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import ReportgenError
from ..pipeline import BuildSummary, build, resolve_experiment
from ..run import Cache
from ..spec import load_spec
from .manifest import EXPERIMENTS, MANIFEST, dumps, experiment_files, make_manifest
from .notebook import NOTEBOOK, make_notebook
from ..notebook.write import WEIGHTS
from .safezip import write_zip

__all__ = ["SUBMISSION", "Submission", "pack", "submit"]

SUBMISSION = "submission.zip"


@dataclass
class Submission:
    """What submit wrote: the zip, its members, and the build it packs."""

    zip: Path
    members: list[str]
    build: BuildSummary


def submit(name: str, *, quick: bool = False, allow_quick: bool = False, out: Path | None = None, cache: Path | None = None,
           show_progress: bool = True, notebook: bool = True) -> Submission:
    """Build NAME if its outputs are missing or out of date (pipeline.build), write and execute its plain-Keras notebook
    (pipeline.notebook; not with notebook=False), then pack the submission into the build folder. A quick build is
    refused (a subset and 1-2 epochs are no results to hand in) unless allow_quick."""
    if quick and not allow_quick:
        raise ReportgenError("a quick build (a subset, 1-2 epochs per run) is not a submission; build the full report, or pass "
                             "--allow-quick for a smoke test of the submission itself")
    cache_dir = cache or Path(os.environ.get("REPORTGEN_CACHE", "build/cache"))
    summary = build(name, quick=quick, out=out, cache_dir=cache_dir, show_progress=show_progress)
    if notebook:
        from ..pipeline import notebook as write_notebook

        written = write_notebook(name, quick=quick, out=summary.out, cache_dir=cache_dir, show_progress=show_progress)
        if written.problems:
            raise ReportgenError(f"{written.path}: not every run exported: {written.problems[0]}",
                                 hint="submit --no-notebook packs the report without the notebook")
    return pack(name, summary, cache_dir, allow_quick=allow_quick)


def pack(name: str, summary: BuildSummary, cache: Path, allow_quick: bool = False) -> Submission:
    """Write SUBMISSION into the build folder from what it holds: the same build gives the same bytes."""
    path = resolve_experiment(name)
    spec = load_spec(path)
    folder = summary.out
    results_bytes = (folder / "results.json").read_bytes()
    results = json.loads(results_bytes)
    if results.get("profile") == "quick" and not allow_quick:
        raise ReportgenError(f"{folder}/results.json is a quick build's; build the full report, or pass --allow-quick")
    files = {"report.pdf": (folder / "report.pdf").read_bytes(), "results.json": results_bytes,
             **{book.name: book.read_bytes() for book in sorted(folder.glob("*.xlsx"))},
             **experiment_files(spec, path)}
    files[NOTEBOOK] = make_notebook(spec, f"{EXPERIMENTS}/{path.name}", quick=results.get("profile") == "quick")
    plain = folder / f"{spec.name}.ipynb"
    if plain.is_file():  # the executed plain-Keras notebook and each run's weights and history beside it
        files[plain.name] = plain.read_bytes()
        for member in sorted((folder / WEIGHTS).glob("*")):
            if member.is_file():
                files[f"{WEIGHTS}/{member.name}"] = member.read_bytes()
    files[MANIFEST] = dumps(make_manifest(spec, results, dict(files), Cache(cache)))
    target = write_zip(files, folder / SUBMISSION)
    return Submission(target, sorted(files), summary)
