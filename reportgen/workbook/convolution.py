"""The PW04 exercise 1 workbook (cnn-ex1.xlsx): build it in memory, then write it atomically with cached values."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook

from ..errors import RenderError
from ..spec.convolution import ConvolutionSpec
from .cached import add_cached_values
from .sheet1d import write_conv1d_sheet
from .sheet2d import write_conv2d_sheet

__all__ = ["SHEET_1D", "SHEET_2D", "ConvWorkbook", "build_conv_workbook", "write_conv_workbook"]

SHEET_1D = "1D convolution"
SHEET_2D = "2D convolution"


@dataclass
class ConvWorkbook:
    """The workbook, the value of every formula cell {sheet: {coordinate: value}}, and named cells {sheet: {role: coordinate}}."""

    workbook: Workbook
    cached: dict[str, dict[str, float | int | str]]
    cells: dict[str, dict[str, str]]


def build_conv_workbook(spec: ConvolutionSpec) -> ConvWorkbook:
    """One sheet per exercise part present in the spec; nothing is written to disk."""
    if spec.conv1d is None and spec.conv2d is None:
        raise RenderError("the convolution exercise has neither conv1d nor conv2d: no sheet to write",
                          hint="add a `convolution.conv1d` or `convolution.conv2d` block to the experiment file")
    workbook = Workbook()
    workbook.remove(workbook.active)
    workbook.calculation.fullCalcOnLoad = True
    cached, cells = {}, {}
    for name, part, write in ((SHEET_1D, spec.conv1d, write_conv1d_sheet), (SHEET_2D, spec.conv2d, write_conv2d_sheet)):
        if part is not None:
            sheet = write(workbook.create_sheet(name), part)
            cached[name], cells[name] = sheet.cached, sheet.cells
    return ConvWorkbook(workbook, cached, cells)


def write_conv_workbook(spec: ConvolutionSpec, path: Path) -> Path:
    """Write the exercise workbook to `path` (through a temporary file in the same folder) and return `path`."""
    path = Path(path)
    built = build_conv_workbook(spec)
    temporary: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.stem}-", suffix=".xlsx", delete=False) as handle:
            temporary = Path(handle.name)
        built.workbook.save(temporary)
        add_cached_values(temporary, built.cached)
        os.replace(temporary, path)
    except (OSError, ValueError) as exc:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        raise RenderError(f"cannot write the workbook {path}: {exc}", hint="check that the folder is writable and the file "
                                                                         "is not open in a spreadsheet program") from exc
    return path
