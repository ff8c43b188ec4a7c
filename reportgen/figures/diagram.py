"""Architecture diagrams: a run's model as Graphviz DOT (kept in its cache entry) drawn to SVG by the `dot` program."""

from __future__ import annotations

import re
import shutil
import subprocess

from ..errors import RenderError

__all__ = ["render_diagram"]

_TIMEOUT_S = 60
_PAGE_PT = (480.0, 600.0)  # the most an A4 page's text area gives a figure (width, height), in points


def render_diagram(dot_source: str, title: str | None = None) -> bytes:
    """SVG bytes of the DOT graph (vector, so it stays sharp in the PDF); Graphviz is run without any ML framework."""
    exe = shutil.which("dot")
    if exe is None:
        raise RenderError("architecture diagram: Graphviz's `dot` program is not installed", hint="apt-get install graphviz")
    source = re.sub(r"^\s*dpi\s*(=\s*[^;\n]*)?;?\s*$", "", _without_images(dot_source), flags=re.M)  # Graphviz's SVG
    # is scaled wrongly at any dpi but 72
    if title:
        source = source.replace("{", f'{{\nlabel="{_quoted(title)}"; labelloc="t"; fontname="DejaVu Sans";', 1)
    try:
        done = subprocess.run([exe, "-Tsvg"], input=source.encode("utf-8"), capture_output=True, timeout=_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise RenderError(f"architecture diagram: Graphviz took more than {_TIMEOUT_S} s") from exc
    if done.returncode != 0:
        first = done.stderr.decode("utf-8", "replace").strip().splitlines()[:1]
        raise RenderError(f"architecture diagram: Graphviz failed: {first[0] if first else f'exit code {done.returncode}'}")
    return _fitted(done.stdout)


def _fitted(svg: bytes) -> bytes:
    """The drawing's own width and height set to fit the page (its viewBox keeps it vector and in proportion):
    a PDF renderer scaling the <img> by CSS alone may clip an SVG instead of scaling it."""
    text = svg.decode("utf-8")
    box = re.search(r'viewBox="[\d.\-]+ [\d.\-]+ ([\d.]+) ([\d.]+)"', text)
    if not box:
        return svg
    width, height = float(box.group(1)), float(box.group(2))
    scale = min(1.0, _PAGE_PT[0] / width, _PAGE_PT[1] / height) if width and height else 1.0
    text = re.sub(r'<svg width="[^"]*" height="[^"]*"', f'<svg width="{width * scale:.1f}pt" height="{height * scale:.1f}pt"', text, count=1)
    return text.encode("utf-8")


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _without_images(source: str) -> str:
    """Drop attributes that make Graphviz read files (image, shapefile, fontpath...): a diagram names no file."""
    return re.sub(r'\b(image|shapefile|imagepath|fontpath|fontnames|stylesheet)\s*=\s*("[^"]*"|\S+)', "", source, flags=re.I)
