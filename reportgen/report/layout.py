"""How a table fits the page: where its cells may wrap, its headers' lines, and an estimate of its narrowest width."""

from __future__ import annotations

import re
from typing import Sequence

__all__ = ["LANDSCAPE_PT", "NOWRAP_CHARS", "PIECE_COLUMNS", "PORTRAIT_PT", "header_lines", "segments", "table_layout", "text_em",
           "word_parts"]


# How a cell may wrap. An architecture wraps only at a separator (a space after ';', ',', '→' or '‖', or a line
# break), so that a layer ('CONV D=16,', 'DENSE 10,') never breaks inside: a piece between separators of at most
# PIECE_COLUMNS[column] characters is kept in one line (a nowrap span; a longer one wraps at its spaces). Other text
# cells wrap at their spaces as text does (their HTML stays the text: tests and readers search it), a long word also
# after 'Name(' or 'key=' (word_parts); a number never wraps, except before a parenthesis ('10,122 (96 non-trainable)').
_SEPARATOR = re.compile(r"(\n|(?<=[;,→‖]) )")
_NUMBER_SEPARATOR = re.compile(r"( )(?=\()")  # '10,122 (96 non-trainable)': the number, then what it says of it
NOWRAP_CHARS = 24
PIECE_COLUMNS = {"architecture": NOWRAP_CHARS}


def segments(text: str, numeric: bool = False, nowrap_chars: int = NOWRAP_CHARS) -> list[tuple[str, bool]]:
    """The cell's text as (piece, keep together) in order; separators are pieces of their own (never kept). A number
    is kept whole, and may only wrap before a parenthesis. nowrap_chars=0: no piece is kept (plain text)."""
    if numeric:
        return [(piece, " " in piece.strip()) for piece in _NUMBER_SEPARATOR.split(text) if piece]
    out = []
    for piece in _SEPARATOR.split(text):
        if piece:
            out.append((piece, piece not in (" ", "\n") and len(piece) <= nowrap_chars and " " in piece))
    return out


# A long word of a piece that may wrap ('EarlyStopping(monitor=val_loss,', 'restore_best_weights=True)') may also break
# after an opening parenthesis or an '=' that follows a letter: the template puts a <wbr> there.
LONG_WORD = 16
_WORD_BREAK = re.compile(r"(?<=[A-Za-z_][(=])(?=[\w'\"])")


def word_parts(word: str) -> list[str]:
    """A word as it may break: itself, or a long one cut after 'Name(' and 'key='."""
    return _WORD_BREAK.split(word) if len(word) > LONG_WORD else [word]


def header_lines(header: str) -> list[str]:
    """A header in at most two lines, never one word a line: 'Acc. train %' -> ['Acc.', 'train %']; short ones whole."""
    words = header.split(" ")
    if len(header) <= 10 or len(words) < 2:
        return [header]
    cut = min(range(1, len(words)), key=lambda i: max(len(" ".join(words[:i])), len(" ".join(words[i:]))))
    return [" ".join(words[:cut]), " ".join(words[cut:])]


# Text widths in em of DejaVu Serif (the report's body font; DejaVu Sans, its headers, is close), by kind of character:
# enough to tell a table that fits a portrait page from one that needs a smaller font or a landscape page.
_WIDTHS = [(str.isupper, 0.72), (str.isdigit, 0.64), (str.islower, 0.58)]
_PUNCTUATION = {**dict.fromkeys(" .,;:'|!", 0.32), **dict.fromkeys("()[]{}", 0.39), **dict.fromkeys("=+<>→×‖~", 0.84),
                "%": 0.95, "_": 0.5, "-": 0.34, "/": 0.34}


def text_em(text: str) -> float:
    return sum(next((w for test, w in _WIDTHS if test(ch)), _PUNCTUATION.get(ch, 0.6)) for ch in text)


def _min_em(text: str, numeric: bool = False, nowrap_chars: int = 0) -> float:
    """The widest thing of a cell that cannot wrap (min-content), in em."""
    widest = 0.0
    for piece, together in segments(text, numeric, nowrap_chars):
        units = [piece] if together or numeric else [part for word in piece.split() for part in word_parts(word)]
        widest = max([widest, *(text_em(unit) for unit in units)])
    return widest


# The page's text width in pt: A4 less templates/report.css's @page margins (18 mm each side), upright and landscape.
PORTRAIT_PT = (210 - 36) / 25.4 * 72
LANDSCAPE_PT = (297 - 36) / 25.4 * 72
_CELL_PADDING_PT = 10.5  # 5 pt each side and the border


def table_layout(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[bool], font_pt: float = 9.0,
                 small_pt: float = 8.0, nowrap_chars: Sequence[int] | None = None) -> str:
    """How a table fits the page, from its number of columns and an estimate of its narrowest width (every column as
    wide as the longest thing in it that cannot wrap): 'normal' (font_pt); 'compact' (small_pt); 'wide' (a landscape
    page, small_pt); 'squeeze' (landscape, and long words may break anywhere: only if nothing else fits). The sizes are
    report.css's for the table's class (table.results: 9 and 8 pt; table.small: 8 and 7.5 pt). nowrap_chars: by
    column, the longest piece kept in one line (segments; 0 for plain text)."""
    def narrowest(font: float) -> float:
        total = 0.0
        for j, header in enumerate(headers):
            cells = [row[j] for row in rows]
            em = max([text_em(line) * 1.1 * 0.94 for line in header_lines(header)]  # bold sans, 0.94em
                     + [_min_em(cell, numeric[j], nowrap_chars[j] if nowrap_chars else 0) for cell in cells])
            total += em * font + _CELL_PADDING_PT
        return total

    n = len(headers)  # the estimate is a few per cent wide of the mark (either way): some room is kept
    if n <= 6 and narrowest(font_pt) <= 0.88 * PORTRAIT_PT:
        return "normal"
    if n <= 8 and narrowest(small_pt) <= 0.98 * PORTRAIT_PT:
        return "compact"
    if narrowest(small_pt) <= 0.95 * LANDSCAPE_PT:
        return "wide"
    return "squeeze"
