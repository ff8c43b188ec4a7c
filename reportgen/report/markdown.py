"""Markdown answers -> HTML for the report, sanitised to an allow-list (the Markdown is a student's, the machine a grader's)."""

from __future__ import annotations

import functools
import re

import nh3
from markdown_it import MarkdownIt

__all__ = ["ALLOWED_ATTRIBUTES", "ALLOWED_TAGS", "markdown_to_html"]

# What an answer needs: text structure, lists, tables, code, links out. Nothing that fetches (img, link, object,
# embed, iframe, CSS), runs (script), restyles the report (style elements and attributes, class, id) or attaches
# files (rel): what a grader's machine would fetch or show is the report's own doing, not the answer's.
ALLOWED_TAGS = frozenset({
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd",
    "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption",
    "code", "pre", "kbd", "samp", "var", "em", "strong", "b", "i", "u", "s", "del", "ins", "mark", "small", "abbr",
    "blockquote", "q", "cite", "br", "hr", "sub", "sup", "a",
})
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}}
_DROPPED_WITH_CONTENT = frozenset({"script", "style", "template", "noscript", "title", "textarea", "xmp", "iframe",
                                   "noembed", "noframes", "object", "svg", "math"})
_URL_SCHEMES = frozenset({"http", "https", "mailto"})  # links only: nothing in an answer is fetched


def _fragment_only(url: str) -> str | None:
    """A relative link survives only as an anchor in the page ('#...'); a relative file name would name local files."""
    return url if url.startswith("#") else None


def markdown_to_html(text: str) -> str:
    """Render Markdown (CommonMark with tables, as students write their answers), then keep only the allowed HTML.
    markdown-it works in time linear in the text and bounds nesting: a wall of '[' or a list 300 deep renders in
    milliseconds (Python-Markdown took minutes, or overflowed the stack)."""
    html = _parser().render(text)
    return sanitise(_ALIGN.sub(r'align="\1"', html))  # a table column's alignment as align=, not style=


_ALIGN = re.compile(r'style="text-align:(left|right|center)"')


@functools.cache
def _parser() -> MarkdownIt:
    # Raw HTML passes to the sanitiser, which keeps only the allowed tags (H<sub>2</sub>O) and drops the rest.
    return MarkdownIt("commonmark", {"html": True, "maxNesting": 20}).enable("table").enable("strikethrough")


def sanitise(html: str) -> str:
    """Drop every tag and attribute not allowed above (the content of script, style and the like too), links limited to
    http(s), mailto and '#' anchors, no rel added (rel=attachment is how WeasyPrint embeds files)."""
    return nh3.clean(html, tags=set(ALLOWED_TAGS), clean_content_tags=set(_DROPPED_WITH_CONTENT), attributes=ALLOWED_ATTRIBUTES,
                     strip_comments=True, link_rel=None, url_schemes=set(_URL_SCHEMES), url_relative=_fragment_only)
