"""Architecture diagrams: a run's model as Graphviz DOT (kept in its cache entry) drawn to SVG by the `dot` program."""

from __future__ import annotations

import re
import shutil
import subprocess

from ..errors import RenderError

__all__ = ["render_diagram"]

_TIMEOUT_S = 60
_MAX_DOT_CHARS = 2_000_000  # a Keras model of some thousand layers; a cache entry copied in may hold anything
_PAGE_PT = (480.0, 600.0)  # the most an A4 page's text area gives a figure (width, height), in points
# What makes Graphviz read a file or an SVG reader fetch or link one: a diagram of a model names no file or URL.
_FILE_ATTRIBUTES = re.compile(r'\b(image|shapefile|imagepath|fontpath|fontnames|stylesheet|href|url|labelhref|tailhref|headhref|'
                              r'edgehref|tailurl|headurl|labelurl|edgeurl)\s*=\s*("(?:[^"\\]|\\.)*"|<[^>]*>|[^\s,;\]]+)\s*[,;]?', re.I)
_HTML_IMAGES = re.compile(r"<\s*img\b[^>]*>", re.I)
_SVG_IMAGES = re.compile(r"<image\b[^>]*?(/>|>.*?</image>)", re.I | re.S)
_SVG_LINKS = re.compile(r'\s(xlink:)?href\s*=\s*"[^"]*"', re.I)
_SVG_DOCTYPE = re.compile(r"<!DOCTYPE[^>]*>|<!ENTITY[^>]*>", re.I)
_SVG_EXTERNAL_URLS = re.compile(r"url\((?!\s*['\"]?#)[^)]*\)", re.I)


def render_diagram(dot_source: str) -> bytes:
    """SVG bytes of the DOT graph (vector, so it stays sharp in the PDF); Graphviz is run without any ML framework.
    The source is treated as untrusted (it comes from a cache entry): bounded, and stripped of file and URL references."""
    exe = shutil.which("dot")
    if exe is None:
        raise RenderError("architecture diagram: Graphviz's `dot` program is not installed", hint="apt-get install graphviz")
    if len(dot_source) > _MAX_DOT_CHARS:
        raise RenderError(f"architecture diagram: its Graphviz source has {len(dot_source):,} characters; at most "
                          f"{_MAX_DOT_CHARS:,} are drawn", hint="retrain the run with --force if its cache entry was copied in")
    source = _HTML_IMAGES.sub("", _FILE_ATTRIBUTES.sub("", dot_source))
    source = re.sub(r"^\s*dpi\s*(=\s*[^;\n]*)?;?\s*$", "", source, flags=re.M)  # Graphviz's SVG is mis-scaled at any dpi but 72
    try:
        done = subprocess.run([exe, "-Tsvg"], input=source.encode("utf-8"), capture_output=True, timeout=_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise RenderError(f"architecture diagram: Graphviz took more than {_TIMEOUT_S} s") from exc
    if done.returncode != 0:
        first = done.stderr.decode("utf-8", "replace").strip().splitlines()[:1]
        raise RenderError(f"architecture diagram: Graphviz failed: {first[0] if first else f'exit code {done.returncode}'}")
    return _fitted(_self_contained(done.stdout.decode("utf-8", "replace"))).encode("utf-8")


def _self_contained(svg: str) -> str:
    """The SVG without anything a PDF renderer would fetch: no images, links, external url() or document type."""
    svg = _SVG_DOCTYPE.sub("", _SVG_IMAGES.sub("", svg))
    return _SVG_EXTERNAL_URLS.sub("none", _SVG_LINKS.sub("", svg))


def _fitted(svg: str) -> str:
    """The drawing's own width and height set to fit the page (its viewBox keeps it vector and in proportion):
    a PDF renderer scaling the <img> by CSS alone may clip an SVG instead of scaling it."""
    box = re.search(r'viewBox="[\d.\-]+ [\d.\-]+ ([\d.]+) ([\d.]+)"', svg)
    if not box:
        return svg
    width, height = float(box.group(1)), float(box.group(2))
    scale = min(1.0, _PAGE_PT[0] / width, _PAGE_PT[1] / height) if width and height else 1.0
    return re.sub(r'<svg width="[^"]*" height="[^"]*"', f'<svg width="{width * scale:.1f}pt" height="{height * scale:.1f}pt"', svg, count=1)
