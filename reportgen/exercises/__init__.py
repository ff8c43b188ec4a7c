"""Exercises computed by hand from the spec (pure numpy): what the workbook and the report both show."""

from .convolution import conv1d, conv2d, output_size, solve_conv1d, solve_conv2d

__all__ = ["conv1d", "conv2d", "output_size", "solve_conv1d", "solve_conv2d"]
