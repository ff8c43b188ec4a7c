"""Reference values for the convolution workbook: Keras Conv1D/Conv2D layers (float64) and reportgen.exercises answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras
import numpy as np
import openpyxl

from reportgen.exercises.convolution import output_size, preserving_setting
from reportgen.spec.convolution import Conv1DExercise, Conv2DExercise, ConvolutionSpec
from reportgen.workbook import SHEET_1D, SHEET_2D

# Keras runs in float64 here (dtype="float64" on the layers), so the workbook must agree to 1e-9.
TOLERANCE = 1e-9


def keras_conv1d(ex: Conv1DExercise, stride: int, padding: int) -> np.ndarray:
    """y of a Conv1D(1 filter) with the exercise kernel and bias, on the input zero-padded by numpy."""
    x = np.pad(np.asarray(ex.input, dtype="float64"), padding)[None, :, None]
    layer = keras.layers.Conv1D(1, len(ex.kernel), strides=stride, padding="valid", dtype="float64")
    layer.build(x.shape)
    layer.set_weights([np.asarray(ex.kernel, dtype="float64").reshape(-1, 1, 1), np.array([ex.bias], dtype="float64")])
    return keras.ops.convert_to_numpy(layer(x))[0, :, 0]


def keras_conv2d(ex: Conv2DExercise, stride: int, padding: int) -> np.ndarray:
    """Output maps (K, Ho, Wo) of a Conv2D with the exercise filters and biases, channels_last, input padded by numpy."""
    volume = np.asarray(ex.input, dtype="float64").transpose(1, 2, 0)  # (H, W, C)
    x = np.pad(volume, ((padding, padding), (padding, padding), (0, 0)))[None]
    filters = np.asarray(ex.filters, dtype="float64")  # (K, C, kh, kw)
    layer = keras.layers.Conv2D(len(filters), filters.shape[2:], strides=stride, padding="valid", dtype="float64")
    layer.build(x.shape)
    layer.set_weights([filters.transpose(2, 3, 1, 0), np.asarray(ex.biases, dtype="float64")])
    return keras.ops.convert_to_numpy(layer(x))[0].transpose(2, 0, 1)


def keras_preserved_shape(ex: Conv2DExercise, filter_size: int, padding: int, stride: int) -> tuple[int, int]:
    """Spatial output shape of a Conv2D with the given setting (random weights) on the exercise input."""
    volume = np.asarray(ex.input, dtype="float64").transpose(1, 2, 0)
    x = np.pad(volume, ((padding, padding), (padding, padding), (0, 0)))[None]
    layer = keras.layers.Conv2D(1, filter_size, strides=stride, padding="valid", dtype="float64")
    return tuple(keras.ops.convert_to_numpy(layer(x)).shape[1:3])


def sheet_values(path: Path, formulas: bool = False) -> dict[str, dict[str, Any]]:
    """{sheet: {coordinate: value}} of the non-empty cells: cached/computed values, or the formulas themselves."""
    book = openpyxl.load_workbook(path, data_only=not formulas)
    return {ws.title: {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None} for ws in book}


def formula_cells(path: Path) -> dict[str, list[str]]:
    """{sheet: coordinates of the cells holding a formula}."""
    book = openpyxl.load_workbook(path)
    return {ws.title: [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"] for ws in book}


def assert_close(got: Any, expected: Any, where: str) -> None:
    if isinstance(expected, str):
        assert got == expected, f"{where}: {got!r} != {expected!r}"
    else:
        assert isinstance(got, (int, float)) and not isinstance(got, bool), f"{where}: expected a number, got {got!r}"
        assert abs(got - float(expected)) <= TOLERANCE, f"{where}: {got!r} != {expected!r}"


def assert_same_values(got: dict[str, dict[str, Any]], expected: dict[str, dict[str, Any]], coordinates: dict[str, list[str]],
                       what: str) -> None:
    """Every formula cell holds the same value in `got` as in `expected`."""
    for sheet, coords in coordinates.items():
        for coord in coords:
            assert_close(got[sheet].get(coord), expected[sheet].get(coord), f"{what} {sheet}!{coord}")


def assert_matches_keras(spec: ConvolutionSpec, cells: dict[str, dict[str, str]], values: dict[str, dict[str, Any]]) -> int:
    """Padded inputs and outputs in `values` equal Keras; sizes and answers equal reportgen.exercises. Returns cells checked."""
    checked = 0

    def check(sheet: str, role: str, expected: Any) -> None:
        nonlocal checked
        assert_close(values[sheet].get(cells[sheet][role]), expected, f"{sheet}!{cells[sheet][role]} ({role})")
        checked += 1

    if (ex := spec.conv1d) is not None:
        n, f = len(ex.input), len(ex.kernel)
        same = []
        for j, (s, p) in enumerate(ex.cases):
            y, padded = keras_conv1d(ex, s, p), np.pad(np.asarray(ex.input, dtype=float), p)
            assert f"case{j}.y{len(y)}" not in cells[SHEET_1D], f"case {j}: a value beyond the output size"
            for i, value in enumerate(y):
                check(SHEET_1D, f"case{j}.y{i}", value)
            for i, value in enumerate(padded):
                check(SHEET_1D, f"case{j}.xp{i}", value)
            check(SHEET_1D, f"case{j}.size", output_size(n, f, s, p))
            assert output_size(n, f, s, p) == len(y)
            check(SHEET_1D, f"case{j}.same", "yes" if len(y) == n else "no")
            same += [f"S={s}, P={p}"] if len(y) == n else []
        check(SHEET_1D, "same_for", "; ".join(same) or "none")
    if (ex := spec.conv2d) is not None:
        (s, p), k = ex.values, len(ex.filters)
        h, w = len(ex.input[0]), len(ex.input[0][0])
        kh, kw = len(ex.filters[0][0]), len(ex.filters[0][0][0])
        maps = keras_conv2d(ex, s, p)
        assert f"y{k}.0.0" not in cells[SHEET_2D] and f"y0.{maps.shape[1]}.0" not in cells[SHEET_2D]
        for index, value in np.ndenumerate(maps):
            check(SHEET_2D, "y{}.{}.{}".format(*index), value)
        padded = np.pad(np.asarray(ex.input, dtype=float), ((0, 0), (p, p), (p, p)))
        for index, value in np.ndenumerate(padded):
            check(SHEET_2D, "xp{}.{}.{}".format(*index), value)
        check(SHEET_2D, "maps", k)
        for j, (s, p) in enumerate(ex.sizes):
            volume = (output_size(h, kh, s, p), output_size(w, kw, s, p), k)
            assert volume == (*keras_conv2d(ex, s, p).shape[1:], k)
            for part, expected in zip(("height", "width", "depth"), volume):
                check(SHEET_2D, f"size{j}.{part}", expected)
            check(SHEET_2D, f"size{j}.volume", " × ".join(map(str, volume)))
        keep = preserving_setting(kh)
        assert keras_preserved_shape(ex, keep["filter"], keep["padding"], keep["stride"]) == (h, w)
        for part, expected in (("filter", keep["filter"]), ("P", keep["padding"]), ("S", keep["stride"]),
                               ("height", h), ("width", w), ("depth", k), ("volume", f"{h} × {w} × {k}")):
            check(SHEET_2D, f"preserve.{part}", expected)
    return checked
