"""Cell styles of the answer sheets and a writer that styles cells and records each formula's cached value."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

__all__ = [
    "ANSWER",
    "CAPTION",
    "EXPLAIN",
    "HEADER",
    "INPUT",
    "KERNEL",
    "LABEL",
    "NOTE",
    "OUTPUT",
    "PAD",
    "PADDED",
    "PARAM",
    "SECTION",
    "TEXT_ANSWER",
    "TITLE",
    "VOLUME",
    "SheetWriter",
    "Style",
    "integral",
    "ref",
]

FONT = "Arial"
_thin = Side(style="thin", color="9E9E9E")
_box = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)
_center = Alignment(horizontal="center", vertical="center")
_left = Alignment(horizontal="left", vertical="center")


def _fill(rgb: str) -> PatternFill:
    return PatternFill(fill_type="solid", start_color=rgb, end_color=rgb)


@dataclass(frozen=True)
class Style:
    """Font, fill, border and alignment of one kind of cell; `numeric` cells get the sheet's number format."""

    font: Font = field(default_factory=lambda: Font(name=FONT, size=10))
    fill: PatternFill | None = None
    border: Border | None = None
    alignment: Alignment = _left
    numeric: str | None = None  # "data": the sheet's data format, or a fixed format such as "0"


TITLE = Style(Font(name=FONT, size=14, bold=True, color="1F3864"))
NOTE = Style(Font(name=FONT, size=9, italic=True, color="595959"))
SECTION = Style(Font(name=FONT, size=11, bold=True, color="1F3864"), border=Border(bottom=Side(style="medium", color="1F3864")))
LABEL = Style(Font(name=FONT, size=10))
CAPTION = Style(Font(name=FONT, size=9, bold=True, color="404040"))
HEADER = Style(Font(name=FONT, size=9, bold=True, color="404040"), alignment=Alignment(horizontal="center", vertical="bottom", wrap_text=True))
INPUT = Style(fill=_fill("FFF2CC"), border=_box, alignment=_center, numeric="data")
KERNEL = Style(fill=_fill("DDEBF7"), border=_box, alignment=_center, numeric="data")
PAD = Style(Font(name=FONT, size=10, color="7F7F7F"), fill=_fill("D9D9D9"), border=_box, alignment=_center, numeric="0")
PADDED = Style(border=_box, alignment=_center, numeric="data")
OUTPUT = Style(Font(name=FONT, size=10, bold=True), fill=_fill("E2EFDA"), border=_box, alignment=_center, numeric="data")
PARAM = Style(Font(name=FONT, size=10, bold=True), border=_box, alignment=_center, numeric="0")
ANSWER = Style(Font(name=FONT, size=10, bold=True, color="375623"), fill=_fill("E2EFDA"), border=_box, alignment=_center, numeric="0")
TEXT_ANSWER = Style(Font(name=FONT, size=10, bold=True, color="375623"), fill=_fill("E2EFDA"), border=_box, alignment=_left)
VOLUME = Style(TEXT_ANSWER.font, TEXT_ANSWER.fill, _box, _center)
EXPLAIN = Style(Font(name=FONT, size=9, italic=True, color="404040"), alignment=Alignment(horizontal="left", vertical="center", indent=1))


def integral(*values: float) -> bool:
    """Whether every value is a whole number (so the sheet can use the "0" format)."""
    return all(float(v).is_integer() for v in values)


def ref(row: int, col: int, absolute: bool = False) -> str:
    """A1-style reference of (row, col), `$C$4` when absolute."""
    letter = get_column_letter(col)
    return f"${letter}${row}" if absolute else f"{letter}{row}"


class SheetWriter:
    """Writes styled cells on one worksheet; keeps {coordinate: value} of every formula and {role: coordinate}."""

    def __init__(self, ws: Worksheet, data_format: str) -> None:
        self.ws = ws
        self.data_format = data_format
        self.cached: dict[str, float | int | str] = {}
        self.cells: dict[str, str] = {}

    def put(self, row: int, col: int, value: Any, style: Style, *, role: str | None = None, cached: Any = None) -> str:
        """Write a constant, or a formula (a str starting with "=") whose computed value is `cached`."""
        cell = self.ws.cell(row=row, column=col, value=value)
        cell.font = style.font
        if style.fill is not None:
            cell.fill = style.fill
        if style.border is not None:
            cell.border = style.border
        cell.alignment = style.alignment
        if style.numeric:
            cell.number_format = self.data_format if style.numeric == "data" else style.numeric
        if isinstance(value, str) and value.startswith("="):
            if cached is None:
                raise ValueError(f"formula cell {cell.coordinate} needs its computed value")
            self.cached[cell.coordinate] = _plain(cached)
        if role is not None:
            self.cells[role] = cell.coordinate
        return cell.coordinate

    def row(self, row: int, col: int, values: list[Any], style: Style, role: str | None = None) -> list[str]:
        """Constants left to right from (row, col); roles `{role}{i}` when given."""
        return [self.put(row, col + i, v, style, role=None if role is None else f"{role}{i}") for i, v in enumerate(values)]

    def span(self, row: int, first: int, last: int, value: Any, style: Style, **kwargs: Any) -> str:
        """A value in a cell merged across columns first..last of one row."""
        coord = self.put(row, first, value, style, **kwargs)
        if last > first:
            self.ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
        return coord


def _plain(value: Any) -> float | int | str:
    """numpy scalars and whole floats as plain Python numbers; text as is."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise TypeError("cached values are numbers or text, not booleans")
    number = float(value)
    return int(number) if number.is_integer() else number
