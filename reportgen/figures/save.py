"""save_figure: the one place figures touch the disk, as deterministic PNG files."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from matplotlib.figure import Figure

from ..errors import RenderError

__all__ = ["DPI", "save_figure", "save_drawing"]

DPI = 150


def save_figure(fig: Figure, path: Path) -> Path:
    """Write fig as PNG (150 dpi, tight), atomically; identical figures give identical bytes. Clears fig."""
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise RenderError(f"cannot save figure {path}: expected a .png file name. Received suffix '{path.suffix}'")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # No "Software" text chunk (it carries the matplotlib version); Agg writes no date.
        fig.savefig(tmp, format="png", dpi=DPI, bbox_inches="tight", pad_inches=0.04, facecolor="white",
                    metadata={"Software": None})
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise RenderError(f"cannot write figure {path}: {exc.strerror or exc}") from exc
    finally:
        fig.clear()
    return path


def save_drawing(svg: bytes, path: Path) -> Path:
    """Write an SVG drawing (an architecture diagram) atomically."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(svg)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise RenderError(f"cannot write figure {path}: {exc.strerror or exc}") from exc
    return path
