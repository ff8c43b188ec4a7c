"""Markdown answers -> HTML for the report."""

from __future__ import annotations

import markdown as _markdown

__all__ = ["markdown_to_html"]


def markdown_to_html(text: str) -> str:
    """Render Markdown with tables and fenced code, as students write their answers."""
    return _markdown.markdown(text, extensions=["tables", "fenced_code", "sane_lists"], output_format="html")
