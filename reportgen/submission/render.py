"""verify.json, verify.html and verify.pdf of a verification (Jinja, then WeasyPrint through the report's safe fetcher)."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

from ..atomic import write_text
from ..numbers import count

__all__ = ["TEMPLATE", "render_verify", "write_outputs"]

TEMPLATE = "verify.html.j2"


def _number(value: Any) -> str:
    return "–" if value is None else f"{value:.6g}" if isinstance(value, float) else str(value)


def _templates() -> Path:
    """report.html.templates_dir(), without importing the report package (numpy, Markdown): a refused zip is answered at once."""
    return Path(os.environ.get("REPORTGEN_TEMPLATES") or Path(__file__).resolve().parents[2] / "templates")


def render_verify(report: Any, folder: Path | None = None) -> str:
    """The verification as one HTML page: refusal or outcome, files (tampered and missing first), required items missing,
    a verdict per number, the workbook's cells that differ."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(folder or _templates()), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["number"] = _number
    css = env.loader.get_source(env, "report.css")[0]
    tally = Counter(v.verdict for v in report.numbers)
    counts = [f"{count(n, 'number')} {verdict}" for verdict in ("reproduced", "within tolerance", "NOT reproduced", "missing")
              if (n := tally[verdict])] or ["no number graded"]
    required = [f"{what[:-1]}: {name}" for what, names in report.required.items() for name in names]
    other = [c for c in report.workbook if c["verdict"] != "reproduced"]
    return env.get_template(TEMPLATE).render(r=report, ok=report.ok, counts=counts, required=required, css=css,
                                             workbook_same=len(report.workbook) - len(other), workbook_other=other)


def write_outputs(report: Any, out: Path, pdf: bool = True) -> None:
    """Write verify.json and verify.html into `out`, and verify.pdf unless pdf=False (a refused zip: answered at once;
    an older verify.pdf is removed so that it cannot be taken for this one)."""
    write_text(out / "verify.json", json.dumps(report.to_json(), indent=1, sort_keys=False, default=str, allow_nan=False) + "\n")
    html = render_verify(report)
    write_text(out / "verify.html", html)
    if not pdf:
        (out / "verify.pdf").unlink(missing_ok=True)
        return
    from ..report import render_pdf

    target = out / f".verify.pdf.{os.getpid()}.tmp"
    try:
        os.replace(render_pdf(html, out, target), out / "verify.pdf")
    finally:
        target.unlink(missing_ok=True)
