"""Grade a class: verify every submission zip of a folder, then write grades.xlsx, grades.json and the leaderboard."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from ..atomic import write_text
from ..errors import ReportgenError
from ..text import field as field_text, printable
from .grades import PASSED, VERDICTS, ClassGrades, Graded

if TYPE_CHECKING:
    from .batch import Outcome

__all__ = ["grade_class", "graded_from", "graded_numbers", "summarise"]

def graded_from(file: str, folder: str, report: Any | None, error: str | None, numbers: list[tuple[str, str]],
                board: tuple[str, str] | None) -> Graded:
    """A Graded from one verify_submission outcome: its VerifyReport, or the error that stopped it (then nothing passed)."""
    file = field_text(file)  # the zip's name is the student's too
    if report is None:
        return Graded(file, Path(file).stem, [], folder, ["missing"] * len(numbers), [None] * len(numbers),
                      refused=printable(error or "not verified"), numbers=list(numbers))
    found = {(v.run, v.metric): v for v in report.numbers}
    verdicts = [found[n].verdict if n in found else "missing" for n in numbers]
    regenerated = [found[n].regenerated if n in found else None for n in numbers]
    lead = found.get(board) if board else None
    intact = not report.refused and not (report.files or {}).get("tampered")  # a tampered file: its numbers stand for nothing
    value = lead.regenerated if lead is not None and lead.verdict in PASSED and intact else None
    files = {kind: sorted(names) for kind, names in (report.files or {}).items() if names}
    required = {kind: list(names) for kind, names in (report.required or {}).items() if names}
    cells = [str(cell.get("cell")) for cell in (report.workbook or []) if cell.get("verdict") != PASSED[0]]
    return Graded(file, report.group or Path(file).stem, list(report.authors or []), folder, verdicts, regenerated,
                  files, required, report.refused, value, numbers=list(numbers), cells=cells,
                  differs=dict(report.differs or {}), extra=list(report.extra or []))


def graded_numbers(spec: Any) -> list[tuple[str, str]]:
    """The graded (run, metric) pairs, the gradebook's columns, from the reference alone: the grading block's runs (a
    swept run's written name stands for each of the reference's variants; default: every run) times its metrics. No
    submission adds a column: a run it adds is listed for that group and graded for nobody."""
    from .verify import graded_runs

    grading = spec.grading
    runs = graded_runs(list(grading.runs) if grading is not None else [], spec, None, 0)
    return [(run, metric) for run in runs for metric in (grading.metrics if grading is not None else ("test_accuracy",))]


def _board(grading: Any) -> tuple[str, str] | None:
    board = grading.leaderboard if grading is not None else None
    return (board.run, board.metric) if board is not None else None


def summarise(spec: Any, reference: str, outcomes: list[tuple[str, str, Any | None, str | None]]) -> ClassGrades:
    """ClassGrades from (zip name, output folder, VerifyReport or None, error or None) per submission: ranked, by group."""
    from .leaderboard import higher_is_better, rank

    numbers = graded_numbers(spec)
    board = _board(spec.grading)
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
                executor: str = "local", address: str | None = None, say: Callable[[str], None] = lambda line: None,
                quick: bool = False) -> ClassGrades:
    """Verify every *.zip of `folder` against `reference` (at its full profile, or its quick one) into out/<zip name>/
    (sharing one cache, so identical honest runs train once), then write out/grades.xlsx, out/grades.json,
    out/leaderboard.html and .pdf. grades.json is rewritten as each verdict comes in, so that a crash or a kill keeps
    every verdict known by then ("complete": false)."""
    from .batch import verify_all
    from .rebuild import cache_root
    from .gradebook import write_gradebook
    from .leaderboard import write_leaderboard
    from .scratch import remove_stale

    folder = Path(folder)
    zips = _submissions(folder)
    path, spec = _reference(reference)
    out = Path(out or Path("build") / f"grade-{folder.resolve().name}").resolve()
    cache = cache_root(cache).resolve()
    jobs = [(z.resolve(), out / z.stem, path.resolve(), cache, quick) for z in zips]
    start, finished = time.perf_counter(), {}
    out.mkdir(parents=True, exist_ok=True)
    for child in (p for p in out.iterdir() if p.is_dir() and not p.is_symlink()):  # a killed grade's unpacked zips
        remove_stale(child)

    def outcomes_of(indices) -> list[tuple[str, str, Any, str | None]]:
        return [(zips[i].name, str(jobs[i][1]), *finished[i]) for i in indices]

    def done(i: int, outcome: Outcome) -> None:
        report, error = outcome
        finished[i] = outcome
        verdicts = error.splitlines()[0] if error else _line(report)
        say(f"[{len(finished)}/{len(zips)}] {zips[i].name}: {verdicts} ({time.perf_counter() - start:.0f} s)")
        partial = summarise(spec, str(reference), outcomes_of(sorted(finished)))
        _write_json(out, {**partial.to_json(), "complete": False, "verified": len(finished), "submissions": len(zips)})

    verify_all(jobs, executor, done, address)
    grades = summarise(spec, str(reference), outcomes_of(range(len(zips))))
    grades.out = str(out)
    data = {**grades.to_json(), "complete": True, "verified": len(zips), "submissions": len(zips)}
    _write_json(out, data)  # every verdict first; then the files drawn from them
    values = write_gradebook(grades, out / "grades.xlsx")
    write_leaderboard(grades, out)
    data["workbook"] = {"file": "grades.xlsx", "formulas": values}  # the Python value of every formula cell
    _write_json(out, data)
    return grades


def _write_json(out: Path, data: dict[str, Any]) -> None:
    from .verify import finite

    write_text(out / "grades.json", json.dumps(finite(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def _line(report: Any) -> str:
    if report.refused:
        return f"refused: {report.refused.removeprefix('refused: ')}"
    verdicts = [v.verdict for v in report.numbers]
    counts = ", ".join(f"{verdicts.count(v)} {v}" for v in VERDICTS if v in verdicts) or "no number checked"
    return f"group {report.group}: {counts}"
