"""Reader for the `convolution:` exercise: 1D and 2D inputs, kernels, strides and paddings to compute by hand."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .check import INVALID, Checker
from .yamlsource import Located

__all__ = ["Conv1DExercise", "Conv2DExercise", "ConvolutionSpec", "read_convolution"]

SHEET_1D_CASES = ((1, 0), (2, 0), (4, 0), (1, 1), (4, 1))  # PW04 exercise 1a
SHEET_2D_SIZES = ((1, 0), (2, 0))  # PW04 exercise 1b


@dataclass(frozen=True)
class Conv1DExercise:
    """A 1D input, one kernel and bias, and the (stride, padding) cases to compute."""

    input: tuple[float, ...]
    kernel: tuple[float, ...]
    bias: float
    cases: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Conv2DExercise:
    """An input volume (C grids of H x W), K filters (C grids of kh x kw, and a bias each), and what to compute."""

    input: tuple[tuple[tuple[float, ...], ...], ...]  # [channel][row][column]
    filters: tuple[tuple[tuple[tuple[float, ...], ...], ...], ...]  # [filter][channel][row][column]
    biases: tuple[float, ...]
    sizes: tuple[tuple[int, int], ...]  # (stride, padding) of the output volumes asked for
    values: tuple[int, int]  # (stride, padding) of the output values computed


@dataclass(frozen=True)
class ConvolutionSpec:
    """PW04 exercise 1: convolutions by hand."""

    conv1d: Conv1DExercise | None = None
    conv2d: Conv2DExercise | None = None


def _number(c: Checker, node: Located, path: str) -> float | Any:
    if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
        return c.expected(node, path, "a number")
    return node.value


def _vector(c: Checker, node: Located, path: str) -> tuple[float, ...] | Any:
    items = c.sequence(node, path, "a list of numbers", allow_empty=False)
    if items is INVALID:
        return INVALID
    values = [_number(c, item, f"{path}[{i}]") for i, item in enumerate(items)]
    return INVALID if INVALID in values else tuple(values)


def _grid(c: Checker, node: Located, path: str) -> tuple[tuple[float, ...], ...] | Any:
    """Rows of numbers, all of one length."""
    rows = c.sequence(node, path, "a grid: a list of rows of numbers", allow_empty=False)
    if rows is INVALID:
        return INVALID
    grid = [_vector(c, row, f"{path}[{i}]") for i, row in enumerate(rows)]
    if INVALID in grid:
        return INVALID
    for i, row in enumerate(grid):
        if len(row) != len(grid[0]):
            return c.fail(rows[i].mark, f"{path}[{i}]", f"expected a row of {len(grid[0])} numbers like row 0. Received: {len(row)} (ragged grid)")
    return tuple(grid)


def _volume(c: Checker, node: Located, path: str) -> tuple[tuple[tuple[float, ...], ...], ...] | Any:
    """One grid per channel, all of one shape."""
    channels = c.sequence(node, path, "a list of channels, each a grid of rows", allow_empty=False)
    if channels is INVALID:
        return INVALID
    grids = [_grid(c, channel, f"{path}[{i}]") for i, channel in enumerate(channels)]
    if INVALID in grids:
        return INVALID
    shape = (len(grids[0]), len(grids[0][0]))
    for i, grid in enumerate(grids):
        if (len(grid), len(grid[0])) != shape:
            return c.fail(channels[i].mark, f"{path}[{i}]", f"expected a {shape[0]}x{shape[1]} grid like channel 0. "
                                                            f"Received: {len(grid)}x{len(grid[0])}")
    return tuple(grids)


def _cases(c: Checker, node: Located, path: str) -> tuple[tuple[int, int], ...] | Any:
    items = c.sequence(node, path, "a list of {stride, padding} mappings", allow_empty=False)
    if items is INVALID:
        return INVALID
    cases = [_case(c, item, f"{path}[{i}]") for i, item in enumerate(items)]
    return INVALID if INVALID in cases else tuple(cases)


def _case(c: Checker, node: Located, path: str) -> tuple[int, int] | Any:
    entries = c.mapping(node, path, ("stride", "padding"), required=("stride", "padding"), what="a mapping {stride: S, padding: P}")
    if entries is INVALID or len(entries) != 2:
        return INVALID
    stride = c.integer(entries["stride"], f"{path}.stride", minimum=1)
    padding = c.integer(entries["padding"], f"{path}.padding", minimum=0)
    return INVALID if INVALID in (stride, padding) else (stride, padding)


def _fits(c: Checker, node: Located, path: str, size: tuple[int, ...], kernel: tuple[int, ...], case: tuple[int, int]) -> bool:
    """A kernel must fit in the zero-padded input."""
    stride, padding = case
    padded = tuple(n + 2 * padding for n in size)
    if any(k > p for k, p in zip(kernel, padded, strict=True)):
        shown = "x".join(map(str, kernel)), "x".join(map(str, padded))
        c.fail(node.mark, path, f"expected a kernel that fits the padded input. Received: kernel {shown[0]} on a padded input of "
                                f"{shown[1]} (stride {stride}, padding {padding})")
        return False
    return True


def _conv1d(c: Checker, node: Located, path: str) -> Conv1DExercise | Any:
    entries = c.mapping(node, path, ("input", "kernel", "bias", "cases"), required=("input", "kernel"))
    if entries is INVALID or not {"input", "kernel"} <= set(entries):
        return INVALID
    data = _vector(c, entries["input"], f"{path}.input")
    kernel = _vector(c, entries["kernel"], f"{path}.kernel")
    bias = _number(c, entries["bias"], f"{path}.bias") if "bias" in entries else 0
    cases = _cases(c, entries["cases"], f"{path}.cases") if "cases" in entries else SHEET_1D_CASES
    if INVALID in (data, kernel, bias, cases):
        return INVALID
    where = entries.get("cases", entries["kernel"])
    if not all(_fits(c, where, f"{path}.cases", (len(data),), (len(kernel),), case) for case in cases):
        return INVALID
    return Conv1DExercise(data, kernel, bias, cases)


def _conv2d(c: Checker, node: Located, path: str) -> Conv2DExercise | Any:
    entries = c.mapping(node, path, ("input", "filters", "sizes", "values"), required=("input", "filters"))
    if entries is INVALID or not {"input", "filters"} <= set(entries):
        return INVALID
    volume = _volume(c, entries["input"], f"{path}.input")
    items = c.sequence(entries["filters"], f"{path}.filters", "a list of filters {weights, bias}", allow_empty=False)
    sizes = _cases(c, entries["sizes"], f"{path}.sizes") if "sizes" in entries else SHEET_2D_SIZES
    values = _case(c, entries["values"], f"{path}.values") if "values" in entries else (1, 0)
    if INVALID in (volume, items, sizes, values):
        return INVALID
    filters, biases = [], []
    for i, item in enumerate(items):
        where = f"{path}.filters[{i}]"
        fields = c.mapping(item, where, ("weights", "bias"), required=("weights",))
        if fields is INVALID or "weights" not in fields:
            return INVALID
        weights = _volume(c, fields["weights"], f"{where}.weights")
        bias = _number(c, fields["bias"], f"{where}.bias") if "bias" in fields else 0
        if INVALID in (weights, bias):
            return INVALID
        if len(weights) != len(volume):
            return c.fail(fields["weights"].mark, f"{where}.weights", f"expected {len(volume)} channels like the input. Received: {len(weights)}")
        shape = (len(weights[0]), len(weights[0][0]))
        if filters and shape != (len(filters[0][0]), len(filters[0][0][0])):
            return c.fail(fields["weights"].mark, f"{where}.weights", f"expected the {len(filters[0][0])}x{len(filters[0][0][0])} size of "
                                                                       f"filter 0. Received: {shape[0]}x{shape[1]}")
        filters.append(weights)
        biases.append(bias)
    size = (len(volume[0]), len(volume[0][0]))
    kernel = (len(filters[0][0]), len(filters[0][0][0]))
    for key, cases in (("sizes", sizes), ("values", (values,))):
        if not all(_fits(c, entries.get(key, entries["filters"]), f"{path}.{key}", size, kernel, case) for case in cases):
            return INVALID
    return Conv2DExercise(volume, tuple(filters), tuple(biases), sizes, values)


def read_convolution(c: Checker, node: Located, path: str) -> ConvolutionSpec | Any:
    """`convolution: {conv1d: ..., conv2d: ...}`."""
    entries = c.mapping(node, path, ("conv1d", "conv2d"))
    if entries is INVALID:
        return INVALID
    if not node.value:
        return c.expected(node, path, "conv1d and/or conv2d")
    conv1d = _conv1d(c, entries["conv1d"], f"{path}.conv1d") if "conv1d" in entries else None
    conv2d = _conv2d(c, entries["conv2d"], f"{path}.conv2d") if "conv2d" in entries else None
    return INVALID if INVALID in (conv1d, conv2d) else ConvolutionSpec(conv1d, conv2d)
