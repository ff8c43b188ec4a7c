"""Render the report context through the Jinja templates to HTML."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import jinja2

__all__ = ["TEMPLATES", "render_html", "templates_dir"]

TEMPLATES = ("report.html.j2", "report.css")


def templates_dir() -> Path:
    """The project's templates/ folder (or $REPORTGEN_TEMPLATES)."""
    if os.environ.get("REPORTGEN_TEMPLATES"):
        return Path(os.environ["REPORTGEN_TEMPLATES"])
    return Path(__file__).resolve().parents[2] / "templates"


def render_html(context: dict[str, Any], folder: Path | None = None) -> str:
    """The whole report as one HTML page; the stylesheet is inlined so the HTML stands alone."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder or templates_dir()),
        autoescape=True,  # every value is escaped; only the sanitised Markdown and the inlined CSS are marked safe
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    css = env.loader.get_source(env, "report.css")[0]
    return env.get_template("report.html.j2").render(**context, css=css)
