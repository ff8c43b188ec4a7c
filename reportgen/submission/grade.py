"""Grade a class: verify every submission zip of a folder, then write grades.xlsx, grades.json and the leaderboard."""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from ..errors import ReportgenError

if TYPE_CHECKING:
    from .batch import Outcome

__all__ = ["PASSED", "VERDICTS", "ClassGrades", "Graded", "grade_class", "graded_from", "summarise"]

VERDICTS = ("reproduced", "within tolerance", "NOT reproduced", "missing")  # verify's verdicts, in the gradebook's order
PASSED = VERDICTS[:2]  # what counts towards the score


@dataclass
class Graded:
    """One submission as graded: a verdict and the regenerated value per graded number, and what was wrong with it."""

    file: str
    group: str
    authors: list[str]
    folder: str  # where its verification wrote (its report.pdf, its regenerated results)
    verdicts: list[str]  # one per ClassGrades.numbers, in that order
    regenerated: list[float | None]
    files: dict[str, list[str]] = field(default_factory=dict)  # verify's {"tampered": [...], "missing": [...], ...}
    required: dict[str, list[str]] = field(default_factory=dict)  # {"runs": [...], "sections": [...], "figures": [...]}
    refused: str | None = None  # why the submission could not be verified at all (not a zip, no experiment file, ...)
    leaderboard: float | None = None  # the regenerated leaderboard number, when it reproduced
    rank: int | None = None
    numbers: list[tuple[str, str]] = field(default_factory=list)  # (run, metric) of each verdict
    cells: list[str] = field(default_factory=list)  # workbook cells (convolution exercise) not reproduced

    @property
    def counts(self) -> dict[str, int]:
        return {verdict: self.verdicts.count(verdict) for verdict in VERDICTS}

    @property
    def passed(self) -> int:
        return sum(self.verdicts.count(verdict) for verdict in PASSED)

    @property
    def score(self) -> float:
        """The share of the graded numbers reproduced (exactly or within tolerance), 0 to 1."""
        return self.passed / len(self.verdicts) if self.verdicts else 0.0

    @property
    def problems(self) -> list[str]:
        """One phrase per problem, for grades.json and the leaderboard: 'NOT reproduced: cnn test_accuracy', ..."""
        return self.issues()

    def issues(self, skip: tuple[str, str] | None = None) -> list[str]:
        """The problems, leaving number `skip` (run, metric) out of the verdicts' phrases."""
        found = [f"refused: {self.refused.removeprefix('refused: ')}"] if self.refused else []
        for kind in ("tampered", "missing"):
            if self.files.get(kind):
                found.append(f"files {kind}: {', '.join(self.files[kind])}")
        for kind in ("runs", "sections", "figures"):
            if self.required.get(kind):
                found.append(f"{kind} missing: {', '.join(self.required[kind])}")
        if self.cells:
            found.append(f"workbook cells not reproduced: {', '.join(self.cells[:5])}"
                         + (f" and {len(self.cells) - 5} more" if len(self.cells) > 5 else ""))
        if not self.refused:
            for verdict in VERDICTS[2:]:
                names = [f"{run} {metric}" for (run, metric), v in zip(self.numbers, self.verdicts)
                         if v == verdict and (run, metric) != skip]
                found += [f"{verdict}: {', '.join(names)}"] if names else []
        return found


@dataclass
class ClassGrades:
    """A class's grades: the numbers graded, one Graded per submission (by group), the leaderboard's run and metric."""

    experiment: str
    title: str
    course: str
    reference: str
    numbers: list[tuple[str, str]]  # (run, metric) graded, the gradebook's columns
    board: tuple[str, str] | None  # (run, metric) the leaderboard ranks on
    higher: bool  # whether a larger leaderboard number is better
    graded: list[Graded]
    out: str = ""  # where grades.xlsx, grades.json and the leaderboard were written

    def to_json(self) -> dict[str, Any]:
        """grades.json: per group its verdict counts, score, rank, problems and verdict per number (the Python values the
        workbook's formulas must give)."""
        groups = []
        for g in self.graded:
            entry = asdict(g)
            entry.update(counts=g.counts, passed=g.passed, graded=len(g.verdicts), score=g.score, problems=g.problems,
                         numbers=[{"run": run, "metric": metric, "verdict": verdict, "regenerated": value}
                                  for (run, metric), verdict, value in zip(g.numbers, g.verdicts, g.regenerated)])
            del entry["verdicts"], entry["regenerated"]
            groups.append(entry)
        board = {"run": self.board[0], "metric": self.board[1], "higher_is_better": self.higher} if self.board else None
        return {"experiment": self.experiment, "title": self.title, "reference": self.reference,
                "numbers": [{"run": run, "metric": metric} for run, metric in self.numbers], "leaderboard": board,
                "groups": groups}


def graded_from(file: str, folder: str, report: Any | None, error: str | None, numbers: list[tuple[str, str]],
                board: tuple[str, str] | None) -> Graded:
    """A Graded from one verify_submission outcome: its VerifyReport, or the error that stopped it (then nothing passed)."""
    if report is None:
        return Graded(file, Path(file).stem, [], folder, ["missing"] * len(numbers), [None] * len(numbers),
                      refused=error or "not verified", numbers=list(numbers))
    found = {(v.run, v.metric): v for v in report.numbers}
    verdicts = [found[n].verdict if n in found else "missing" for n in numbers]
    regenerated = [found[n].regenerated if n in found else None for n in numbers]
    lead = found.get(board) if board else None
    value = lead.regenerated if lead is not None and lead.verdict in PASSED and not report.refused else None
    files = {kind: sorted(names) for kind, names in (report.files or {}).items() if names}
    required = {kind: list(names) for kind, names in (report.required or {}).items() if names}
    cells = [str(cell.get("cell")) for cell in (report.workbook or []) if cell.get("verdict") != PASSED[0]]
    return Graded(file, report.group or Path(file).stem, list(report.authors or []), folder, verdicts, regenerated,
                  files, required, report.refused, value, numbers=list(numbers), cells=cells)


def _numbers(grading: Any, reports: list[Any]) -> list[tuple[str, str]]:
    """The graded (run, metric) pairs: every number verify checked in any submission, in the grading block's order of
    runs (a swept run's written name stands for its variants, 'mlp' for 'mlp[units=32]') and metrics; a graded run that no
    submission has gets its columns too (missing everywhere)."""
    runs, metrics = (list(grading.runs), list(grading.metrics)) if grading is not None else ([], [])
    seen = list(dict.fromkeys((v.run, v.metric) for report in reports for v in (report.numbers or ())))
    bases = {run.split("[", 1)[0] for run, _ in seen} | {run for run, _ in seen}
    seen += [(run, metric) for run in runs if run not in bases for metric in metrics]

    run_seen = list(dict.fromkeys(run for run, _ in seen))
    metric_seen = list(dict.fromkeys(metric for _, metric in seen))

    def order(pair: tuple[str, str]) -> tuple[int, int, int, int]:
        run, metric = pair
        base = run if run in runs else run.split("[", 1)[0]
        return (runs.index(base) if base in runs else len(runs), run_seen.index(run),
                metrics.index(metric) if metric in metrics else len(metrics), metric_seen.index(metric))

    return sorted(seen, key=order)


def _board(grading: Any) -> tuple[str, str] | None:
    board = grading.leaderboard if grading is not None else None
    return (board.run, board.metric) if board is not None else None


def summarise(spec: Any, reference: str, outcomes: list[tuple[str, str, Any | None, str | None]]) -> ClassGrades:
    """ClassGrades from (zip name, output folder, VerifyReport or None, error or None) per submission: ranked, by group."""
    from .leaderboard import higher_is_better, rank

    grading = spec.grading
    numbers = _numbers(grading, [report for _, _, report, _ in outcomes if report is not None])
    board = _board(grading)
    graded = sorted((graded_from(file, folder, report, error, numbers, board) for file, folder, report, error in outcomes),
                    key=lambda g: (g.group.casefold(), g.file))
    higher = higher_is_better(board[1]) if board else True
    rank(graded, higher)
    return ClassGrades(spec.name, spec.title, spec.course, reference, numbers, board, higher, graded)


def _submissions(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise ReportgenError(f"{folder}: no such folder of submissions", hint="give the folder holding the students' .zip files")
    zips = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".zip" and not p.name.startswith("."))
    if not zips:
        raise ReportgenError(f"{folder}: no .zip submission in this folder", hint="`reportgen submit` writes one per group")
    return zips


def _reference(name: str | Path) -> tuple[Path, Any]:
    from ..pipeline import resolve_experiment
    from ..spec import load_spec

    path = resolve_experiment(str(name))
    if not path.is_file():
        raise ReportgenError(f"{path}: no such reference experiment file")
    spec = load_spec(path)
    if spec.grading is None:
        raise ReportgenError(f"{path}: the reference has no grading: block",
                             hint="it names the runs and metrics to check, their tolerance and the leaderboard's run and metric")
    return path, spec


def grade_class(folder: Path, reference: str | Path, out: Path | None = None, cache: Path | None = None,
                executor: str = "local", address: str | None = None, say: Callable[[str], None] = lambda line: None) -> ClassGrades:
    """Verify every *.zip of `folder` against `reference` into out/<zip name>/ (sharing one cache, so identical honest
    runs train once), then write out/grades.xlsx, out/grades.json, out/leaderboard.html and .pdf."""
    from .batch import verify_all
    from .gradebook import write_gradebook
    from .leaderboard import write_leaderboard

    folder = Path(folder)
    zips = _submissions(folder)
    path, spec = _reference(reference)
    out = Path(out or Path("build") / f"grade-{folder.resolve().name}").resolve()
    cache = Path(cache or os.environ.get("REPORTGEN_CACHE", "build/cache")).resolve()
    jobs = [(z.resolve(), out / z.stem, path.resolve(), cache) for z in zips]
    start, finished = time.perf_counter(), []

    def done(i: int, outcome: Outcome) -> None:
        report, error = outcome
        finished.append(i)
        verdicts = error.splitlines()[0] if error else _line(report)
        say(f"[{len(finished)}/{len(zips)}] {zips[i].name}: {verdicts} ({time.perf_counter() - start:.0f} s)")

    outcomes = verify_all(jobs, executor, done, address)
    grades = summarise(spec, str(reference), [(z.name, str(job[1]), report, error)
                                              for z, job, (report, error) in zip(zips, jobs, outcomes)])
    grades.out = str(out)
    out.mkdir(parents=True, exist_ok=True)
    values = write_gradebook(grades, out / "grades.xlsx")
    write_leaderboard(grades, out)
    data = grades.to_json()
    data["workbook"] = {"file": "grades.xlsx", "formulas": values}  # the Python value of every formula cell
    _write_text(out / "grades.json", json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return grades


def _line(report: Any) -> str:
    if report.refused:
        return f"refused: {report.refused.removeprefix('refused: ')}"
    verdicts = [v.verdict for v in report.numbers]
    counts = ", ".join(f"{verdicts.count(v)} {v}" for v in VERDICTS if v in verdicts) or "no number checked"
    return f"group {report.group}: {counts}"


def _write_text(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
