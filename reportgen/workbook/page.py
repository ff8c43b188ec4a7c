"""Column widths and print setup: no gridlines, centred, fitted to one page in the orientation that prints largest."""

from __future__ import annotations

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["set_print_layout", "set_widths"]

# Rough A4 geometry in millimetres: printable area inside the margins, and the size of a character and of a row.
_PAGE = (190.0, 270.0)
_CHAR_MM = 2.0
_ROW_MM = 5.3


def set_widths(ws: Worksheet, widths: dict[int, float], default: float, last_col: int) -> None:
    """Width (in characters) of columns 1..last_col: `widths` where given, else `default`."""
    for col in range(1, last_col + 1):
        ws.column_dimensions[get_column_letter(col)].width = widths.get(col, default)


def _scale(width_mm: float, height_mm: float, page: tuple[float, float]) -> float:
    return min(1.0, page[0] / width_mm, page[1] / height_mm)


def set_print_layout(ws: Worksheet, last_row: int, last_col: int) -> None:
    """Print area A1:last cell, one page wide and tall, landscape when that prints the sheet larger."""
    width_mm = sum(ws.column_dimensions[get_column_letter(c)].width or 8.43 for c in range(1, last_col + 1)) * _CHAR_MM
    height_mm = sum((ws.row_dimensions[r].height or 15) / 15 * _ROW_MM for r in range(1, last_row + 1))
    landscape = _scale(width_mm, height_mm, _PAGE[::-1]) > _scale(width_mm, height_mm, _PAGE)
    ws.print_area = f"A1:{get_column_letter(last_col)}{last_row}"
    ws.sheet_view.showGridLines = False
    ws.print_options.gridLines = False
    ws.print_options.horizontalCentered = True
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1
    ws.page_margins = PageMargins(left=0.5, right=0.5, top=0.6, bottom=0.6, header=0.3, footer=0.3)
    ws.oddFooter.center.text = "&A"
    ws.oddFooter.center.size = 8
