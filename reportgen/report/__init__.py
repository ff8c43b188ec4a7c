"""Reports: the context (pure dict), tables, architecture notation, HTML (Jinja) and PDF (WeasyPrint)."""

from .bestof import resolve_best
from .context import build_context, figure_plan
from .html import render_html, templates_dir
from .pdf import render_pdf
from .tables import COLUMNS, format_percent, make_table

__all__ = ["COLUMNS", "build_context", "figure_plan", "format_percent", "make_table", "render_html", "render_pdf", "resolve_best",
           "templates_dir"]
