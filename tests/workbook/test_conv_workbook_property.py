"""Random 1D/2D exercises: the workbook's cached values and LibreOffice's recalculation both equal Keras."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from workbook_checks import assert_matches_keras, assert_same_values, formula_cells, sheet_values

from reportgen.spec.convolution import Conv1DExercise, Conv2DExercise, ConvolutionSpec
from reportgen.workbook import build_conv_workbook, write_conv_workbook

CASE = st.tuples(st.integers(1, 4), st.integers(0, 2))  # (stride, padding)


@st.composite
def numbers(draw: st.DrawFn, count: int) -> tuple[float, ...]:
    """Whole numbers (the "0" format) or decimals (the "General" format), one kind per exercise part."""
    if draw(st.booleans()):
        element = st.integers(-9, 9)
    else:
        element = st.floats(-5, 5, allow_nan=False, allow_infinity=False).map(lambda v: round(v, 3))
    return tuple(draw(st.lists(element, min_size=count, max_size=count)))


@st.composite
def conv1d_exercises(draw: st.DrawFn) -> Conv1DExercise:
    n = draw(st.integers(1, 9))
    cases = tuple(draw(st.lists(CASE, min_size=1, max_size=4, unique=True)))
    f = draw(st.integers(1, n + 2 * min(p for _, p in cases)))
    values = draw(numbers(n + f + 1))
    return Conv1DExercise(values[:n], values[n:n + f], values[-1], cases)


@st.composite
def conv2d_exercises(draw: st.DrawFn) -> Conv2DExercise:
    c, k, h, w = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 5)), draw(st.integers(1, 5))
    sizes = tuple(draw(st.lists(CASE, min_size=1, max_size=3, unique=True)))
    values_case = draw(CASE)
    p_min = min(p for _, p in (*sizes, values_case))
    kh, kw = draw(st.integers(1, h + 2 * p_min)), draw(st.integers(1, w + 2 * p_min))
    flat = draw(numbers(c * h * w + k * c * kh * kw + k))

    def grids(start: int, count: int, rows: int, cols: int) -> tuple:
        def grid(at: int) -> tuple:
            return tuple(tuple(flat[at + r * cols:at + (r + 1) * cols]) for r in range(rows))
        return tuple(grid(start + i * rows * cols) for i in range(count))

    volume = grids(0, c, h, w)
    filters = tuple(grids(c * h * w + f * c * kh * kw, c, kh, kw) for f in range(k))
    return Conv2DExercise(volume, filters, flat[-k:], sizes, values_case)


SPECS = st.one_of(
    st.builds(ConvolutionSpec, conv1d_exercises(), conv2d_exercises()),
    st.builds(ConvolutionSpec, conv1d_exercises(), st.none()),
    st.builds(ConvolutionSpec, st.none(), conv2d_exercises()),
)


def test_random_workbooks_match_keras_cached_and_recalculated(tmp_path: Path, libreoffice) -> None:
    written: list[tuple[ConvolutionSpec, Path]] = []

    @settings(max_examples=6, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(spec=SPECS)
    def write_and_check_cached(spec: ConvolutionSpec) -> None:
        path = write_conv_workbook(spec, tmp_path / f"example{len(written):03d}.xlsx")
        assert_matches_keras(spec, build_conv_workbook(spec).cells, sheet_values(path))
        written.append((spec, path))

    write_and_check_cached()  # hypothesis shrinks failures of the cached values here

    # One LibreOffice call recalculates every example (after poisoning its cached values).
    recalculated = libreoffice.recalculate([path for _, path in written])
    for (spec, path), computed in zip(written, recalculated):
        cells = build_conv_workbook(spec).cells
        values = sheet_values(computed)
        try:
            assert_same_values(values, sheet_values(path), formula_cells(path), "LibreOffice vs cached")
            assert_matches_keras(spec, cells, values)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\nspec: {spec!r}") from exc
