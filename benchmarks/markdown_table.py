"""Write one section of BENCHMARKS.md, replacing the section of the same title and keeping the others."""

from __future__ import annotations

from pathlib import Path

__all__ = ["write_section"]

TARGET = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"
HEADER = "# Benchmarks\n\nEach section says the command that produced it.\n"


def write_section(title: str, body: str, target: Path = TARGET) -> str:
    """`title` is the section's '## ...' line; returns the section as written."""
    section = f"{title}\n\n{body.strip()}\n"
    text = target.read_text() if target.exists() else HEADER
    if title in text:
        head, _, rest = text.partition(title)
        tail = rest.split("\n## ", 1)
        text = head + section + ("\n## " + tail[1] if len(tail) > 1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    target.write_text(text)
    return section
