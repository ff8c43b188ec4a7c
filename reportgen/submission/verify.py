"""verify: an untrusted submission.zip, unpacked safely, hash-checked, rebuilt with the grader's data and cache, compared."""

from __future__ import annotations

import json
import os
import random
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ReportgenError, SpecError
from .manifest import MANIFEST, check_files
from .safezip import UnsafeZip, unpack

__all__ = ["Refused", "Verdict", "VerifyReport", "verify_submission"]

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
    refused: str | None = None

    @property
    def ok(self) -> bool:
        """Nothing tampered, missing (files, required runs, sections, figures) or refused; every number and workbook cell
        reproduced or within tolerance."""
        return (self.refused is None and not self.files["tampered"] and not self.files["missing"]
                and not any(self.required.values())
                and all(v.verdict in ("reproduced", "within tolerance") for v in self.numbers)
                and all(c["verdict"] == "reproduced" for c in self.workbook))

    def to_json(self) -> dict:
        return {**asdict(self), "ok": self.ok}


def verify_submission(zip_path: Path, out: Path, *, reference: Path | None = None, runs: list[str] | None = None,
                      sample: int | None = None, cache: Path | None = None, seed: int = 0) -> VerifyReport:
    """Check SUBMISSION.zip and write verify.json, verify.html and verify.pdf into `out`. The reference (the grader's
    experiment file) says which runs and metrics are graded and how; `runs` or a seeded `sample` of N narrows the runs
    rebuilt. The grader's own cache and data path are used, never anything from the zip. A ReportgenError only for the
    grader's own mistakes (a bad reference); a bad submission is a report with `refused` set."""
    from .render import write_outputs

    zip_path, out = Path(zip_path), Path(out)
    report = VerifyReport(submission=zip_path.name)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".verify-", dir=out) as temporary:
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
            report.refused = str(exc)
            write_outputs(report, out, pdf=False)  # no PDF renderer is loaded for a refused zip
            return report
        from ..spec import load_spec
        from ..spec.grading import GradingSpec
        from .compare import missing_required, number_verdict, run_metrics
        from .rebuild import rebuild

        rules_spec = load_spec(reference) if reference else None
        rules = rules_spec.grading if rules_spec and rules_spec.grading else GradingSpec()
        try:
            spec = _experiment(manifest, unpacked, scratch, zip_path.name)
            report.experiment, report.title, report.group, report.authors = spec.name, spec.title, spec.group, list(spec.authors)
            results = _json(unpacked, "results.json", required=False)
        except Refused as exc:
            report.refused = str(exc)
            write_outputs(report, out, pdf=False)
            return report
        reported = results.get("runs") if isinstance(results.get("runs"), dict) else {}
        graded = _graded_runs(runs or (list(rules.runs) if rules_spec and rules.runs else []), rules_spec or spec, spec, sample, seed)
        buildable = [name for name in graded if name in spec.runs]
        report.required["runs"] = [name for name in graded if name not in spec.runs]
        try:
            regenerated = rebuild(spec, buildable, results, manifest, cache)
        except ReportgenError as exc:
            report.refused = f"cannot rebuild: {str(exc).splitlines()[0]}"
            write_outputs(report, out, pdf=False)
            return report
        for name in graded:
            metrics = list(rules.metrics) if rules_spec else run_metrics(name, reported, regenerated) or ["test_accuracy"]
            report.numbers += [Verdict(**number_verdict(name, metric, reported, regenerated, rules)) for metric in metrics]
        if rules_spec:
            found = missing_required(rules, spec)
            report.required["sections"], report.required["figures"] = found["sections"], found["figures"]
        report.workbook = _workbook(rules_spec, spec, unpacked, work)
    write_outputs(report, out, pdf=True)
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
        text = lambda v: str(v)[:200] if isinstance(v, (str, int, float)) else ""  # noqa: E731
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
            raise Refused(f"refused: dataset '{dataset.name}' would be read from the submission itself ({dataset.options['path']}); "
                          "datasets come from the grader's REPORTGEN_DATA_PATH")
    return spec


def _graded_runs(names: list[str], source, spec, sample: int | None, seed: int) -> list[str]:
    """The run names graded: the given ones (a swept run's written name: each variant), else every run; a seeded sample."""
    wanted = names or list(source.runs)
    expanded: list[str] = []
    for name in wanted:
        variants = [n for n in (*source.runs, *spec.runs) if n == name or n.startswith(f"{name}[")]
        expanded += list(dict.fromkeys(variants)) or [name]
    expanded = list(dict.fromkeys(expanded))
    if sample is not None and sample < len(expanded):
        chosen = sorted(random.Random(seed).sample(range(len(expanded)), max(sample, 0)))
        expanded = [expanded[i] for i in chosen]
    return expanded


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

