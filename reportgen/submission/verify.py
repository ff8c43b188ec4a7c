"""verify: an untrusted submission.zip, unpacked safely, hash-checked, rebuilt with the grader's data and cache, compared."""

from __future__ import annotations

import json
import math
import os
import random
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ReportgenError, SpecError
from ..text import field as _field, printable
from .manifest import MANIFEST, check_files
from .safezip import UnsafeZip, unpack
from .scratch import remove_stale, scratch_prefix

__all__ = ["Refused", "Verdict", "VerifyReport", "finite", "graded_runs", "verify_submission"]

_JSON_BYTES = 64 << 20  # a manifest or results.json is kilobytes


class Refused(ReportgenError):
    """A submission that cannot be checked: unsafe, not a submission, or an invalid experiment (exit 2)."""


@dataclass
class Verdict:
    """One reported number against its regenerated value."""

    run: str
    metric: str
    reported: float | None
    regenerated: float | None
    std: float | None
    tolerance: float | None
    verdict: str  # "reproduced" | "within tolerance" | "NOT reproduced" | "missing"
    note: str | None = None  # why, where the verdict needs it (a value that is no finite number, another test set)


@dataclass
class VerifyReport:
    """What verify found; verify.json holds to_json()."""

    submission: str
    experiment: str = ""
    title: str = ""
    group: str = ""
    authors: list[str] = field(default_factory=list)
    files: dict[str, list[str]] = field(default_factory=lambda: {"ok": [], "tampered": [], "missing": [], "unlisted": []})
    numbers: list[Verdict] = field(default_factory=list)
    workbook: list[dict] = field(default_factory=list)  # {"cell", "reported", "regenerated", "verdict"}
    required: dict[str, list[str]] = field(default_factory=lambda: {"runs": [], "sections": [], "figures": []})
    differs: dict[str, str] = field(default_factory=dict)  # graded runs tested on another test set than the reference's: why
    extra: list[str] = field(default_factory=list)  # runs the submission adds to the reference's: listed, graded for nobody
    notebook: list[str] = field(default_factory=list)  # the plain notebook's numbers that are not results.json's (or why none)
    refused: str | None = None

    @property
    def ok(self) -> bool:
        """Nothing tampered, missing (files, required runs, sections, figures) or refused; every number and workbook cell
        reproduced or within tolerance; the plain notebook's printed test metrics (if it has one) those of results.json."""
        return (self.refused is None and not self.files["tampered"] and not self.files["missing"]
                and not any(self.required.values()) and not self.differs and not self.notebook
                and all(v.verdict in ("reproduced", "within tolerance") for v in self.numbers)
                and all(c["verdict"] == "reproduced" for c in self.workbook))

    def to_json(self) -> dict:
        """Strict JSON data: a value that is no finite number is null (its verdict's note says what it was)."""
        return finite({**asdict(self), "ok": self.ok})


def finite(value: Any) -> Any:
    """`value` with every NaN or infinity replaced by None, so that json.dumps(allow_nan=False) writes it."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def verify_submission(zip_path: Path, out: Path, *, reference: Path | None = None, runs: list[str] | None = None,
                      sample: int | None = None, cache: Path | None = None, seed: int = 0, quick: bool = False) -> VerifyReport:
    """Check SUBMISSION.zip and write verify.json, verify.html and verify.pdf into `out`. The reference (the grader's
    experiment file) alone says what is graded and how: its runs, metrics, tolerances and k, its profile (`full`, or
    `quick` when asked) and each run's test set; `runs` or a seeded `sample` of N narrows the runs rebuilt. The grader's
    own cache and data path are used, never anything from the zip. A ReportgenError only for the grader's own mistakes
    (a bad reference); a bad submission is a report with `refused` set."""
    from .render import write_outputs

    zip_path, out = Path(zip_path), Path(out)
    report = VerifyReport(submission=_field(zip_path.name))
    out.mkdir(parents=True, exist_ok=True)
    remove_stale(out)  # what a verification killed before it could clean up left behind
    with tempfile.TemporaryDirectory(prefix=scratch_prefix(), dir=out) as temporary:
        scratch, work = Path(temporary) / "zip", Path(temporary) / "work"  # the unpacked zip; what verify writes itself
        scratch.mkdir()
        work.mkdir()
        try:  # the zip is checked first, with as little imported as can be: a bomb is refused at once
            unpacked = unpack(zip_path, scratch)
            manifest = _json(unpacked, MANIFEST, required=True)
            if not isinstance(manifest.get("files"), dict) or not manifest["files"]:
                raise Refused(f"refused: {MANIFEST} lists no files with their SHA-256 (not a reportgen submission)")
            report.files = check_files(manifest["files"], unpacked)
            _identify(report, manifest.get("experiment"))
        except (UnsafeZip, Refused) as exc:
            return _refused(report, exc, out)
        from ..spec import load_spec
        from ..spec.grading import GradingSpec
        from .compare import missing_required, number_verdict, run_metrics
        from .conform import claimed_profile, differing_test_sets, profile_problem
        from .rebuild import cache_root, rebuild

        rules_spec = load_spec(reference) if reference else None
        rules = rules_spec.grading if rules_spec and rules_spec.grading else GradingSpec()
        try:
            spec = _experiment(manifest, unpacked, scratch, report.submission)
            report.experiment, report.title = _field(spec.name), _field(spec.title)
            report.group, report.authors = _field(spec.group), [_field(a) for a in spec.authors[:50]]
            results = _json(unpacked, "results.json", required=False)
            claimed = claimed_profile(results, manifest)
            _notebook(report, spec, manifest, unpacked, claimed)
            _plain_notebook(report, spec.with_profile("quick" if "quick" in claimed else "full"), unpacked, results)
            profile = ("quick" if quick else "full") if rules_spec else ("quick" if "quick" in claimed else "full")
            problem = profile_problem(claimed, profile, spec, rules_spec) if rules_spec else None
            if problem:
                raise Refused(problem)
        except Refused as exc:
            return _refused(report, exc, out)
        reported = results.get("runs") if isinstance(results.get("runs"), dict) else {}
        source = rules_spec or spec  # what is graded comes from the reference alone, when there is one
        graded = graded_runs(runs or (list(rules.runs) if rules_spec and rules.runs else []), source, sample, seed)
        report.required["runs"] = [name for name in graded if name not in spec.runs]
        report.extra = [_field(name) for name in spec.runs if rules_spec and name not in rules_spec.runs]
        root = cache_root(cache)
        if rules_spec:
            report.differs = differing_test_sets(spec.with_profile(profile), rules_spec.with_profile(profile), graded,
                                                 root / "fingerprints.json")
        buildable = [name for name in graded if name in spec.runs and name not in report.differs]
        try:
            regenerated = rebuild(spec, buildable, profile, manifest, root)
        except ReportgenError as exc:
            return _refused(report, Refused(f"cannot rebuild: {str(exc).splitlines()[0]}"), out)
        for name in graded:
            metrics = list(rules.metrics) if rules_spec else run_metrics(name, reported, regenerated) or ["test_accuracy"]
            for metric in metrics:
                verdict = Verdict(**number_verdict(name, metric, reported, regenerated, rules))
                if name in report.differs and verdict.verdict != "missing":
                    verdict.verdict, verdict.note = "NOT reproduced", report.differs[name]
                report.numbers.append(verdict)
        if rules_spec:
            found = missing_required(rules, spec)
            report.required["sections"], report.required["figures"] = found["sections"], found["figures"]
        report.workbook = _workbook(rules_spec, spec, unpacked, work)
    write_outputs(report, out, pdf=True)
    return report


def _refused(report: VerifyReport, exc: Exception, out: Path) -> VerifyReport:
    """The report of a submission that cannot be checked (no PDF renderer is loaded for it): written, then returned."""
    from .render import write_outputs

    report.refused = printable(str(exc))
    write_outputs(report, out, pdf=False)
    return report


def _json(unpacked: dict[str, Path], name: str, required: bool) -> dict[str, Any]:
    """A JSON object from the zip; a missing optional one is {} (its absence is in files['missing'])."""
    if name not in unpacked:
        if required:
            raise Refused(f"refused: not a reportgen submission (no {name})")
        return {}
    path = unpacked[name]
    if path.stat().st_size > _JSON_BYTES:
        raise Refused(f"refused: {name} is {path.stat().st_size:,} bytes (a submission's is kilobytes)")
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise Refused(f"refused: {name} is not valid JSON ({str(exc)[:120]})") from None
    if not isinstance(value, dict):
        raise Refused(f"refused: {name} is not a JSON object")
    return value


def _identify(report: VerifyReport, experiment: Any) -> None:
    """Title, group and authors as the manifest says (replaced by the validated experiment's once it loads)."""
    if isinstance(experiment, dict):
        text = lambda v: _field(v) if isinstance(v, (str, int, float)) else ""  # noqa: E731
        report.experiment, report.title, report.group = (text(experiment.get(k)) for k in ("name", "title", "group"))
        authors = experiment.get("authors")
        report.authors = [text(a) for a in authors[:50]] if isinstance(authors, list) else []


def _experiment(manifest: dict[str, Any], unpacked: dict[str, Path], scratch: Path, shown: str):
    """The submission's experiment, validated under the limits; its datasets must come from the grader, not the zip."""
    from ..spec import load_spec
    from ..spec.paths import inside

    experiment = manifest.get("experiment")
    name = experiment.get("file") if isinstance(experiment, dict) else None
    if not isinstance(name, str) or name not in unpacked or not name.endswith((".yaml", ".yml")):
        raise Refused("refused: the manifest names no experiment file of the zip (experiment.file)")
    try:
        spec = load_spec(unpacked[name], grading=False)  # the student's own grading block is ignored, unread
    except SpecError as exc:
        problems = list(exc.problems)
        for where in {str(scratch.resolve()), str(scratch), os.path.relpath(scratch)}:  # FILE:LINE:COL names the zip's member
            problems = [p.replace(where + "/", f"{shown}:") for p in problems]
        more = f" (and {len(problems) - 1} more: verify.json)" if len(problems) > 1 else ""
        raise Refused(f"refused: invalid experiment: {problems[0]}{more}" + "".join(f"\n{p}" for p in problems[1:])) from None
    for dataset in spec.datasets.values():
        if "path" in dataset.options and inside(dataset.options["path"], scratch):
            written = dataset.looked_in[0] or dataset.options["path"]
            if not Path(dataset.options["path"]).exists():  # found nowhere: the grader's data path lacks it
                raise Refused(f"cannot rebuild: dataset '{dataset.name}': folder '{written}' is not in a folder of this machine's "
                              f"REPORTGEN_DATA_PATH ({os.environ.get('REPORTGEN_DATA_PATH') or 'unset'}); datasets come from the "
                              "grader's data path")
            raise Refused(f"refused: dataset '{dataset.name}' would be read from the submission itself ({written}); "
                          "datasets come from the grader's REPORTGEN_DATA_PATH")
    return spec


def graded_runs(names: list[str], source, sample: int | None, seed: int) -> list[str]:
    """The run names graded, from `source` alone (the reference; else the submission): the given names (a swept run's
    written name: each of the source's variants), else every run of the source; then a seeded sample."""
    wanted = names or list(source.runs)
    expanded: list[str] = []
    for name in wanted:
        variants = [n for n in source.runs if n == name or n.startswith(f"{name}[")]
        expanded += variants or [name]
    expanded = list(dict.fromkeys(expanded))
    if sample is not None and sample < len(expanded):
        chosen = sorted(random.Random(seed).sample(range(len(expanded)), max(sample, 0)))
        expanded = [expanded[i] for i in chosen]
    return expanded


def _notebook(report: VerifyReport, spec, manifest: dict[str, Any], unpacked: dict[str, Path], claimed: set[str]) -> None:
    """The notebook is generated: regenerated from the submitted experiment, a different one is tampered (its code would
    run on the grader's machine), whatever its hash in the manifest."""
    from .notebook import NOTEBOOK, make_notebook, same_notebook

    if NOTEBOOK not in unpacked or NOTEBOOK not in report.files["ok"]:
        return
    generated = make_notebook(spec, manifest["experiment"]["file"], quick="quick" in claimed)
    if unpacked[NOTEBOOK].stat().st_size > _JSON_BYTES or not same_notebook(generated, unpacked[NOTEBOOK].read_bytes()):
        report.files["ok"].remove(NOTEBOOK)
        report.files["tampered"] = sorted([*report.files["tampered"], NOTEBOOK])


def _plain_notebook(report: VerifyReport, spec, unpacked: dict[str, Path], results: dict[str, Any]) -> None:
    """The plain-Keras notebook (NAME.ipynb, if the zip has one): regenerated from the submitted experiment and the inputs
    it records, a cell that differs is tampered; its printed test metrics must be results.json's."""
    from .plainnotebook import check_plain_notebook

    name = f"{spec.name}.ipynb"
    if name not in unpacked or name not in report.files["ok"]:
        return
    if unpacked[name].stat().st_size > _JSON_BYTES:
        tampered, differ = f"larger than {_JSON_BYTES:,} bytes", []
    else:
        tampered, differ = check_plain_notebook(spec, unpacked[name].read_bytes(), results)
    if tampered:
        report.files["ok"].remove(name)
        report.files["tampered"] = sorted([*report.files["tampered"], name])
        report.notebook = [_field(f"{name}: {tampered}")]
    else:
        report.notebook = [_field(f"{name}: {line}") for line in differ[:50]]


def _workbook(rules_spec, spec, unpacked: dict[str, Path], work: Path) -> list[dict]:
    """The convolution workbook recomputed (from the reference's values when it declares them) and compared cell by cell."""
    convolution = (rules_spec.convolution if rules_spec and rules_spec.convolution else None) or spec.convolution
    if convolution is None:
        return []
    from ..pipeline import WORKBOOK
    from ..workbook import write_conv_workbook
    from .compare import compare_workbook

    regenerated = write_conv_workbook(convolution, work / WORKBOOK)
    return compare_workbook(WORKBOOK, unpacked.get(WORKBOOK), regenerated)

