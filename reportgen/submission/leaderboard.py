"""The class leaderboard: groups ranked on the course's metric as the grader regenerated it; unverified ones listed unranked."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from ..atomic import write_text
from ..numbers import fixed
from ..report.html import templates_dir
from ..report.pdf import render_pdf

if TYPE_CHECKING:
    from .grades import ClassGrades, Graded

__all__ = ["TEMPLATE", "format_score", "higher_is_better", "leaderboard_context", "ordered", "rank", "write_leaderboard"]

TEMPLATE = "leaderboard.html.j2"


def higher_is_better(metric: str) -> bool:
    """Accuracies and PSNRs rank high first; losses, errors and the rest low first (as the report's `best` does)."""
    return metric.endswith(("accuracy", "psnr"))


def rank(graded: list[Graded], higher: bool) -> None:
    """Set each Graded's rank from its leaderboard value: 1 for the best, ties share a rank (1, 1, 3), None when unverified."""
    values = [g.leaderboard for g in graded if g.leaderboard is not None]
    for g in graded:
        if g.leaderboard is None:
            g.rank = None
        else:
            g.rank = 1 + sum((v > g.leaderboard) if higher else (v < g.leaderboard) for v in values)


def ordered(graded: list[Graded]) -> tuple[list[Graded], list[Graded]]:
    """(ranked by rank then group, unranked by group)."""
    ranked = sorted((g for g in graded if g.rank is not None), key=lambda g: (g.rank, g.group.casefold(), g.file))
    return ranked, sorted((g for g in graded if g.rank is None), key=lambda g: (g.group.casefold(), g.file))


def format_score(metric: str, value: float) -> str:
    """An accuracy as a percentage with two decimals (96.12%), anything else with four, rounded half up."""
    return f"{fixed(value * 100, 2)}%" if metric.endswith("accuracy") else fixed(value, 4)


def _why_unranked(g: Graded, board: tuple[str, str] | None, numbers: list[tuple[str, str]]) -> str:
    if g.refused:
        return f"not verified: {g.refused.removeprefix('refused: ')}"
    if board is None:
        return "no leaderboard in the reference's grading block"
    if g.files.get("tampered"):
        return f"files tampered: {', '.join(g.files['tampered'])}"
    verdict = g.verdicts[numbers.index(board)] if board in numbers else "missing"
    return f"{board[1]} of {board[0]}: {verdict}"


def leaderboard_context(grades: ClassGrades) -> dict[str, Any]:
    """What the template shows: the ranked rows, then the unranked ones with why, and what the score is."""
    ranked, unranked = ordered(grades.graded)
    metric = grades.board[1] if grades.board else ""
    total = len(grades.numbers)

    def row(g: Graded) -> dict[str, Any]:
        return {"rank": g.rank, "group": g.group, "authors": ", ".join(g.authors), "file": g.file,
                "score": format_score(metric, g.leaderboard) if g.leaderboard is not None else "",
                "verified": f"{g.passed} / {total}", "problems": "; ".join(g.problems)}

    return {
        "title": grades.title, "course": grades.course, "experiment": grades.experiment, "reference": grades.reference,
        "run": grades.board[0] if grades.board else "", "metric": metric,
        "order": "higher is better" if grades.higher else "lower is better",
        "ranked": [row(g) for g in ranked],
        "unranked": [dict(row(g), why=_why_unranked(g, grades.board, grades.numbers),
                          problems="; ".join(p for p in g.issues(skip=grades.board) if not p.startswith("refused: ")))
                     for g in unranked],
        "graded": total,
        "date": _dt.date.today().isoformat(),
    }


def render_leaderboard(grades: ClassGrades, folder: Path | None = None) -> str:
    """The leaderboard as one HTML page, the report's stylesheet inlined."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(folder or templates_dir()), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    css = env.loader.get_source(env, "report.css")[0]
    return env.get_template(TEMPLATE).render(**leaderboard_context(grades), css=css)


def write_leaderboard(grades: ClassGrades, out: Path) -> tuple[Path, Path]:
    """out/leaderboard.html and out/leaderboard.pdf (WeasyPrint, fetching nothing outside out/ and the templates)."""
    html = render_leaderboard(grades)
    page = write_text(Path(out) / "leaderboard.html", html)
    return page, render_pdf(html, Path(out), Path(out) / "leaderboard.pdf")
