"""A class's grades: a Graded per submission and the ClassGrades they make, read by grade, gradebook and leaderboard."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["PASSED", "VERDICTS", "ClassGrades", "Graded"]

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
    differs: dict[str, str] = field(default_factory=dict)  # graded runs tested on another test set than the reference's
    extra: list[str] = field(default_factory=list)  # runs the submission adds: listed for this group, graded for nobody

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
        for run, why in self.differs.items():
            found.append(f"test set differs: {run} ({why})")
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
