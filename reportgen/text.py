"""Untrusted text made safe to show: control characters written as visible escapes, for a terminal, a cell or a field."""

from __future__ import annotations

import re

__all__ = ["field", "printable"]

# C0 and C1 controls, DEL, and the bidirectional overrides that reorder what a reader sees; line breaks and tabs apart.
_CLASS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[{_CLASS}]")
_BREAKS = re.compile(f"[\t\n{_CLASS}]")  # \r is in the class already


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object, *, lines: bool = True) -> str:
    """`text` with every control character written as an escape (ESC as '\\x1b', a bell as '\\x07'): nothing in it can
    move a terminal's cursor, set its title, ring it, or reorder the line. lines=True keeps line breaks and tabs."""
    return (_CONTROL if lines else _BREAKS).sub(_escape, str(text))


def field(text: object, limit: int = 200) -> str:
    """One line of untrusted text for a report, a gradebook cell or a JSON field: escaped, at most `limit` characters."""
    shown = printable(text, lines=False)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."
