"""grades.xlsx of a synthetic class: verdict cells, live formulas that LibreOffice recalculates to the Python values, fills."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from graded_class import BOARD, GROUPS, NUMBERS, REFERENCE, outcomes
from workbook.conftest import LibreOffice

from reportgen.spec import load_spec
from reportgen.submission.grade import summarise
from reportgen.submission.gradebook import HEADER_ROW, SHEET, write_gradebook

# What each group must get, worked out by hand from graded_class: (reproduced, within tolerance, NOT reproduced, missing).
COUNTS = {"ada": (6, 4, 0, 0), "bob": (6, 4, 0, 0), "cyd": (6, 4, 0, 0), "dan": (5, 4, 1, 0), "eve": (4, 4, 0, 2)}
RANKS = {"ada": 2, "bob": 1, "cyd": 2, "dan": "unranked", "eve": "unranked"}


@pytest.fixture(scope="module")
def gradebook(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("grades")
    grades = summarise(load_spec(REFERENCE), "experiments/demo.yaml", outcomes(folder))
    path = folder / "grades.xlsx"
    return path, write_gradebook(grades, path)


def _rows(path: Path, data_only: bool) -> tuple[dict[str, str], dict[str, dict[str, Any]], dict[str, Any]]:
    """({header: column letter}, {group: {header: value}}, {header: value} of the class row)."""
    ws = openpyxl.load_workbook(path, data_only=data_only)[SHEET]
    columns = {c.value: c.column_letter for c in ws[HEADER_ROW] if c.value}
    rows = {}
    for r in range(HEADER_ROW + 1, ws.max_row + 1):
        if ws[f"A{r}"].value == "Class":
            return columns, rows, {name: ws[f"{col}{r}"].value for name, col in columns.items()}
        rows[ws[f"A{r}"].value] = {name: ws[f"{col}{r}"].value for name, col in columns.items()}
    raise AssertionError("no class row")


def test_one_row_per_group_with_its_verdicts_and_formulas(gradebook) -> None:
    path, _ = gradebook
    columns, rows, total = _rows(path, data_only=False)
    assert list(rows) == list(GROUPS)
    assert [f"{run} {metric}" for run, metric in NUMBERS] == list(columns)[3:3 + len(NUMBERS)]
    assert rows["dan"]["cnn_bn test_accuracy"] == "NOT reproduced" and rows["dan"]["cnn_bn test_accuracy (regenerated)"] == 0.93
    assert rows["eve"]["cnn_bn train_accuracy"] == "missing" and rows["eve"]["cnn_bn train_accuracy (regenerated)"] is None
    assert rows["ada"]["mlp[units=32] test_accuracy"] == "within tolerance"
    assert rows["eve"]["Runs missing"] == "cnn_bn" and rows["eve"]["Figures missing"] == "confusion of cnn_bn"
    assert rows["bob"]["Authors"] == "Bob One, Bob Two" and rows["bob"]["Submission"] == "bob.zip"
    assert rows["dan"]["test_accuracy of cnn_bn (leaderboard)"] == "unverified"
    first, last = columns[f"{NUMBERS[0][0]} {NUMBERS[0][1]}"], columns[f"{NUMBERS[-1][0]} {NUMBERS[-1][1]}"]
    row = HEADER_ROW + 1
    assert rows["ada"]["Reproduced"] == f'=COUNTIF({first}{row}:{last}{row},"reproduced")'
    assert rows["ada"]["Within tolerance"] == f'=COUNTIF({first}{row}:{last}{row},"within tolerance")'
    assert rows["ada"]["Score"].startswith("=IF(") and rows["ada"]["Rank"].startswith("=IF(ISNUMBER(")
    assert "RANK(" in rows["ada"]["Rank"]
    assert total["Score"].startswith("=AVERAGE(") and total["Reproduced"].startswith("=SUM(")
    assert total["cnn_bn test_accuracy"].startswith("=COUNTIF(")


def test_libreoffice_recalculates_the_python_values(gradebook, libreoffice: LibreOffice) -> None:
    path, expected = gradebook
    (recalculated,) = libreoffice.recalculate([path])  # every cached value poisoned first: only a recalculation restores them
    computed = openpyxl.load_workbook(recalculated, data_only=True)[SHEET]
    formulas = openpyxl.load_workbook(path)[SHEET]
    formula_cells = {f"{SHEET}!{c.coordinate}" for row in formulas.iter_rows() for c in row if c.data_type == "f"}
    assert formula_cells == set(expected) and len(expected) > 40
    for where, value in expected.items():
        got = computed[where.split("!")[1]].value
        if isinstance(value, str):
            assert got == value, where
        else:
            assert got == pytest.approx(value, abs=1e-12), where
    _, rows, total = _rows(recalculated, data_only=True)
    for group, (reproduced, within, forged, missing) in COUNTS.items():
        assert (rows[group]["Reproduced"], rows[group]["Within tolerance"], rows[group]["NOT reproduced"],
                rows[group]["Missing"]) == (reproduced, within, forged, missing), group
        assert rows[group]["Passed"] == reproduced + within and rows[group]["Graded"] == len(NUMBERS)
        assert rows[group]["Score"] == pytest.approx((reproduced + within) / len(NUMBERS))
        assert rows[group]["Rank"] == RANKS[group]
    assert total["Score"] == pytest.approx(0.94) and total["Passed"] == 47 and total["Submission"] == 5
    assert total["cnn_bn test_accuracy"] == 3 and total["dense1 test_accuracy"] == 5  # groups that reproduced it
    assert total["Runs missing"] == 1 and total["Rank"] == 3
    assert total["test_accuracy of cnn_bn (leaderboard)"] == max(v for v in BOARD.values() if v)


def test_cached_values_are_the_python_values(gradebook) -> None:
    path, expected = gradebook
    cached = openpyxl.load_workbook(path, data_only=True)[SHEET]
    assert {where: cached[where.split("!")[1]].value for where in expected} == expected


def test_conditional_fills_mark_verdicts_and_problems(gradebook) -> None:
    path, _ = gradebook
    ws = openpyxl.load_workbook(path)[SHEET]
    columns = {c.value: c.column_letter for c in ws[HEADER_ROW] if c.value}
    rules = {}  # {first column letter of the range: [(formula, fill colour)]}
    for formatting in ws.conditional_formatting:
        for rule in formatting.rules:
            rules.setdefault(str(formatting.sqref).split(":")[0].rstrip("0123456789"), []).append(
                (rule.formula[0] if rule.formula else None, rule.dxf.fill.fgColor.rgb if rule.dxf and rule.dxf.fill else None))
    verdicts = dict(rules[columns["dense1 test_accuracy"]])
    assert verdicts['"reproduced"'].endswith("C6EFCE")  # green
    assert verdicts['"NOT reproduced"'].endswith("FFC7CE") and verdicts['"missing"'].endswith("FFC7CE")  # red
    tampered = rules[columns["Files tampered"]]
    assert tampered == [(f"LEN({columns['Files tampered']}{HEADER_ROW + 1})>0", tampered[0][1])] and tampered[0][1].endswith("FFC7CE")
    assert all(columns[name] in rules for name in ("Files missing", "Runs missing", "Sections missing", "Figures missing", "Refused"))
