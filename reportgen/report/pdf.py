"""Write the HTML report as PDF with WeasyPrint."""

from __future__ import annotations

import logging
from pathlib import Path

from ..errors import RenderError

__all__ = ["render_pdf"]


def render_pdf(html: str, base: Path, target: Path) -> Path:
    """Lay out the HTML (figures resolved against base) into a PDF at target."""
    import weasyprint  # heavy: imported only when a PDF is written

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    try:
        weasyprint.HTML(string=html, base_url=str(base)).write_pdf(target)
    except OSError as exc:
        raise RenderError(f"cannot write {target}: {exc}") from exc
    return target
