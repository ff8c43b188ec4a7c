"""What the pw04 workbook holds: formulas (not numbers) with cached values, print setup, a snapshot, atomic writes."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from workbook_checks import formula_cells, sheet_values

from reportgen.errors import RenderError
from reportgen.spec.convolution import ConvolutionSpec
from reportgen.workbook import SHEET_1D, SHEET_2D, build_conv_workbook, write_conv_workbook

# Roles of the cells that must be formulas: outputs, padded values, sizes and answers.
FORMULA_ROLES = re.compile(r"^(case\d+\.(y\d+|size|same|how)|same_for|maps|y\d+\.\d+\.\d+|size\d+\.(height|width|depth|volume)|"
                           r"preserve\.(filter|P|height|width|depth|volume))$")


@pytest.fixture(scope="module")
def pw04_file(pw04_convolution, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_conv_workbook(pw04_convolution, tmp_path_factory.mktemp("cells") / "cnn-ex1.xlsx")


def test_outputs_sizes_and_answers_are_formulas(pw04_convolution, pw04_file) -> None:
    built = build_conv_workbook(pw04_convolution)
    book = openpyxl.load_workbook(pw04_file)
    assert book.sheetnames == [SHEET_1D, SHEET_2D]
    for sheet, roles in built.cells.items():
        chosen = {role: coord for role, coord in roles.items() if FORMULA_ROLES.match(role)}
        assert len(chosen) > 20
        for role, coord in chosen.items():
            assert book[sheet][coord].data_type == "f", f"{sheet}!{coord} ({role}) is not a formula"
    assert book[SHEET_1D][built.cells[SHEET_1D]["case0.y0"]].value == "=SUMPRODUCT(B13:D13,$B$6:$D$6)+$B$7"
    assert book[SHEET_1D][built.cells[SHEET_1D]["case0.size"]].value.startswith("=INT(")
    assert book[SHEET_2D][built.cells[SHEET_2D]["y0.0.0"]].value.count("SUMPRODUCT(") == 3


def test_every_formula_has_a_cached_value(pw04_convolution, pw04_file) -> None:
    built = build_conv_workbook(pw04_convolution)
    assert {sheet: sorted(coords) for sheet, coords in formula_cells(pw04_file).items()} == \
           {sheet: sorted(values) for sheet, values in built.cached.items()}
    with zipfile.ZipFile(pw04_file) as archive:
        sheets = [archive.read(name).decode() for name in archive.namelist() if name.startswith("xl/worksheets/sheet")]
        assert 'fullCalcOnLoad="1"' in archive.read("xl/workbook.xml").decode()
    for xml in sheets:
        assert xml.count("<f>") == len(re.findall(r"</f><v>[^<]+</v>", xml))
    cached = sheet_values(pw04_file)
    assert cached[SHEET_1D][built.cells[SHEET_1D]["case3.same"]] == "yes"
    assert cached[SHEET_2D][built.cells[SHEET_2D]["y0.0.2"]] == 13


def test_print_setup_fits_each_sheet_on_one_page(pw04_file) -> None:
    for ws in openpyxl.load_workbook(pw04_file):
        assert ws.print_area and ws.sheet_properties.pageSetUpPr.fitToPage
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 1)
        assert ws.print_options.horizontalCentered and not ws.print_options.gridLines
        assert ws.sheet_view.showGridLines is False and ws.freeze_panes is None
        assert ws.column_dimensions["A"].width >= 20


def test_number_formats(pw04_convolution, pw04_file) -> None:
    built = build_conv_workbook(pw04_convolution)
    book = openpyxl.load_workbook(pw04_file)
    for role in ("x0", "w2", "case0.y0", "case0.size"):
        assert book[SHEET_1D][built.cells[SHEET_1D][role]].number_format == "0"
    decimal = ConvolutionSpec(conv1d=pw04_convolution.conv1d.__class__((0.5, 1.25, 2), (1, -0.5), 0.1, ((1, 0),)))
    sheet = build_conv_workbook(decimal)
    assert sheet.workbook[SHEET_1D][sheet.cells[SHEET_1D]["case0.y0"]].number_format == "General"


def test_snapshot_of_cells_and_formulas(pw04_file, snapshot) -> None:
    by_row: dict[str, dict[int, dict[str, object]]] = {}
    for sheet, cells in sheet_values(pw04_file, formulas=True).items():
        for coord, value in cells.items():
            by_row.setdefault(sheet, {}).setdefault(openpyxl.utils.cell.coordinate_to_tuple(coord)[0], {})[coord] = value
    assert by_row == snapshot


def test_write_is_atomic_and_overwrites(pw04_convolution, tmp_path: Path) -> None:
    target = tmp_path / "build" / "pw04" / "cnn-ex1.xlsx"
    assert write_conv_workbook(pw04_convolution, target) == target
    first = target.read_bytes()
    write_conv_workbook(pw04_convolution, target)
    assert target.read_bytes() == first
    assert [p.name for p in target.parent.iterdir()] == ["cnn-ex1.xlsx"]


def test_write_failure_is_a_render_error(pw04_convolution, tmp_path: Path) -> None:
    blocker = tmp_path / "build"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(RenderError, match="cannot write the workbook"):
        write_conv_workbook(pw04_convolution, blocker / "cnn-ex1.xlsx")
    with pytest.raises(RenderError, match="neither conv1d nor conv2d"):
        write_conv_workbook(ConvolutionSpec(), tmp_path / "empty.xlsx")
