"""The pw04 workbook recalculated by LibreOffice: every formula agrees with Keras, the exercises and the cached values."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader
from workbook_checks import assert_matches_keras, assert_same_values, formula_cells, sheet_values

from reportgen.workbook import build_conv_workbook, write_conv_workbook


@pytest.fixture(scope="module")
def pw04_workbook(pw04_convolution, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_conv_workbook(pw04_convolution, tmp_path_factory.mktemp("pw04") / "cnn-ex1.xlsx")


def test_libreoffice_recalculation_matches_keras_and_cached_values(pw04_convolution, pw04_workbook, libreoffice) -> None:
    cells = build_conv_workbook(pw04_convolution).cells
    (recalculated,) = libreoffice.recalculate([pw04_workbook])
    computed, cached = sheet_values(recalculated), sheet_values(pw04_workbook)
    formulas = formula_cells(pw04_workbook)
    assert sum(map(len, formulas.values())) > 100

    assert_same_values(computed, cached, formulas, "LibreOffice vs cached")
    assert assert_matches_keras(pw04_convolution, cells, computed) > 100
    assert_matches_keras(pw04_convolution, cells, cached)


def test_pw04_answers_as_on_the_sheet(pw04_workbook) -> None:
    cached = sheet_values(pw04_workbook)
    one, two = cached["1D convolution"], cached["2D convolution"]
    sizes_1d = [v for v in one.values() if isinstance(v, str) and v.startswith("floor((8 − 3")]
    assert [s.rsplit("= ", 1)[1] for s in sizes_1d] == ["6", "3", "2", "8", "2"]
    assert "S=1, P=1" in one.values()
    assert {"3 × 3 × 2", "2 × 2 × 2", "5 × 5 × 2"} <= set(two.values())


def test_each_sheet_prints_on_one_page(pw04_workbook, libreoffice) -> None:
    (pdf,) = libreoffice.convert([pw04_workbook], "pdf")
    pages = PdfReader(pdf).pages
    assert len(pages) == 2, "one page per sheet"
    text = [page.extract_text() for page in pages]
    assert "1D convolution by hand" in text[0] and "2D convolution by hand" in text[1]
