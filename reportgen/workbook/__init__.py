"""Workbooks a grader can recalculate: the convolution exercise as styled cells and formulas, with cached values."""

from .convolution import SHEET_1D, SHEET_2D, ConvWorkbook, build_conv_workbook, write_conv_workbook

__all__ = ["SHEET_1D", "SHEET_2D", "ConvWorkbook", "build_conv_workbook", "write_conv_workbook"]
