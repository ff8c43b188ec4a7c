"""reportgen grade: scores and ranks of a synthetic class, the leaderboard (HTML, PDF read back), broken submissions, errors."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

import openpyxl
import pytest
from graded_class import GROUPS, REFERENCE, outcomes, report
from submissions import edit_json, members_of

import reportgen.submission.verify as verify_module
from reportgen.cli import main
from reportgen.errors import ReportgenError
from reportgen.spec import load_spec
from reportgen.submission.grade import summarise
from reportgen.submission.leaderboard import write_leaderboard

LEADERBOARD_ORDER = ["bob", "ada", "cyd", "dan", "eve"]  # 97%, then the 95% tie by name; then the unverified, by name


@pytest.fixture(scope="module")
def grades(tmp_path_factory: pytest.TempPathFactory):
    return summarise(load_spec(REFERENCE), "experiments/demo.yaml", outcomes(tmp_path_factory.mktemp("class")))


def test_scores_ranks_and_problems(grades) -> None:
    by = {g.group: g for g in grades.graded}
    assert [g.group for g in grades.graded] == list(GROUPS) and grades.board == ("cnn_bn", "test_accuracy") and grades.higher
    assert {group: (g.passed, g.score, g.rank) for group, g in by.items()} == {
        "ada": (10, 1.0, 2), "bob": (10, 1.0, 1), "cyd": (10, 1.0, 2), "dan": (9, 0.9, None), "eve": (8, 0.8, None)}
    assert by["dan"].problems == ["NOT reproduced: cnn_bn test_accuracy"] and by["dan"].leaderboard is None
    assert by["eve"].problems == ["runs missing: cnn_bn", "figures missing: confusion of cnn_bn",
                                  "missing: cnn_bn test_accuracy, cnn_bn train_accuracy"]
    assert by["bob"].leaderboard == 0.97 and by["bob"].problems == []


def test_leaderboard_ranks_then_lists_the_unverified(grades, tmp_path: Path) -> None:
    html, pdf = write_leaderboard(grades, tmp_path)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for source in (text, re.sub(r"<[^>]+>", " ", html.read_text())):
        positions = [re.search(rf"\b{group}\b", source).start() for group in LEADERBOARD_ORDER]
        assert positions == sorted(positions), source
        assert positions[2] < source.index("Unverified, not ranked") < positions[3]
    assert re.search(r"^\s*1\s+bob\s.*97\.00%", text, re.M) and re.search(r"^\s*2\s+ada\s.*95\.00%", text, re.M)
    assert re.search(r"^\s*2\s+cyd\s", text, re.M)
    assert "test_accuracy of cnn_bn: NOT reproduced" in text and "test_accuracy of cnn_bn: missing" in text


def test_grade_reports_broken_submissions_and_goes_on(tmp_path: Path, monkeypatch, capsys) -> None:
    folder = tmp_path / "pw-class"
    folder.mkdir()
    for name in [*GROUPS, "broken", "crash"]:
        (folder / f"{name}.zip").write_bytes(b"PK")
    (folder / "notes.txt").write_text("not a submission")
    calls = []

    def fake_verify(zip_path: Path, out: Path, *, reference=None, cache=None, **_):
        calls.append((zip_path.name, out, reference, cache))
        if zip_path.stem == "broken":
            raise ReportgenError(f"{zip_path.name}: not a zip file")
        if zip_path.stem == "crash":
            raise RuntimeError("something no submission should do")
        return report(zip_path.stem)

    monkeypatch.setattr(verify_module, "verify_submission", fake_verify)
    monkeypatch.chdir(tmp_path)
    assert main(["grade", str(folder), "--reference", str(REFERENCE), "--cache", "shared-cache"]) == 0
    out = tmp_path / "build" / "grade-pw-class"
    assert [c[0] for c in calls] == sorted(f"{n}.zip" for n in [*GROUPS, "broken", "crash"])
    assert {c[1] for c in calls} == {out / Path(c[0]).stem for c in calls}
    assert {(c[2], c[3]) for c in calls} == {(REFERENCE, tmp_path / "shared-cache")}  # one reference, one shared cache
    data = json.loads((out / "grades.json").read_text())
    groups = {g["group"]: g for g in data["groups"]}
    assert groups["broken"]["refused"] == "broken.zip: not a zip file" and groups["broken"]["score"] == 0
    assert groups["crash"]["refused"].startswith("verification failed (RuntimeError: something no submission should do")
    assert "RuntimeError" in (out / "crash" / "grade-error.txt").read_text()
    assert [groups[g]["rank"] for g in GROUPS] == [2, 1, 2, None, None]
    assert groups["eve"]["counts"] == {"reproduced": 4, "within tolerance": 4, "NOT reproduced": 0, "missing": 2}
    formulas = data["workbook"]["formulas"]  # the Python value of each formula cell of grades.xlsx
    assert len(formulas) > 40 and all(where.startswith("Grades!") for where in formulas)
    assert all((out / name).is_file() for name in ("grades.xlsx", "leaderboard.html", "leaderboard.pdf"))
    err = capsys.readouterr().err
    assert "[4/7] crash.zip: verification failed" in err and "graded 7 submissions" in err and ": 3 fully reproduced, 3 ranked" in err


@pytest.mark.parametrize("folder, reference, message", [
    ("missing", REFERENCE, "no such folder of submissions"),
    ("empty", REFERENCE, "no .zip submission in this folder"),
    ("class", REFERENCE.with_name("pw12.yaml"), "the reference has no grading: block"),
    ("class", REFERENCE.with_name("nope.yaml"), "no such reference experiment file"),
])
def test_bad_folder_or_reference_is_a_one_line_error(tmp_path: Path, capsys, folder, reference, message) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "a.zip").write_bytes(b"PK")
    assert main(["grade", str(tmp_path / folder), "--reference", str(reference), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_ray_executor_without_ray_is_a_one_line_error(tmp_path: Path, monkeypatch, capsys) -> None:
    (tmp_path / "a.zip").write_bytes(b"PK")
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    assert main(["grade", str(tmp_path), "--reference", str(REFERENCE), "--executor", "ray", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "--executor ray needs Ray" in err and err.count("\n") == 1


def _as_group(group: str, change: Callable[[dict], None] | None = None) -> Callable[[dict[str, bytes]], None]:
    """An edit of the demo submission: another group's (its experiment file and manifest say so), results.json changed."""
    def edit(members: dict[str, bytes]) -> None:
        members["experiments/demo.yaml"] = members["experiments/demo.yaml"].replace(b'group: "demo"', f'group: "{group}"'.encode())
        members["reproduce.ipynb"] = members["reproduce.ipynb"].replace(b"; group demo", f"; group {group}".encode())  # as generated
        edit_json(members, "manifest.json", lambda manifest: manifest["experiment"].update(group=group))
        if change is not None:
            edit_json(members, "results.json", change)
    return edit


def _forge(results: dict) -> None:
    results["runs"]["cnn_bn"]["metrics"]["test_accuracy"] += 0.1


def _drop_cnn_bn(results: dict) -> None:
    del results["runs"]["cnn_bn"]


def test_grade_a_demo_class_end_to_end(tmp_path: Path, demo_submission: Path, demo_cache: Path, make_submission, capsys) -> None:
    """Three honest submissions of one build under three group names, one forged (a test accuracy edited in results.json,
    the manifest's hashes fixed), one with a run removed; the grader's cache lacks cnn_bn: it trains once for all."""
    classroom = tmp_path / "class"
    for group, change in (("ada", None), ("bob", None), ("cyd", None), ("dan", _forge), ("eve", _drop_cnn_bn)):
        make_submission(classroom, edit=_as_group(group, change), rehash=True, name=f"{group}.zip")
    cache = tmp_path / "grader-cache"
    shutil.copytree(demo_cache, cache)
    key = json.loads(members_of(demo_submission)["manifest.json"])["runs"]["cnn_bn"]["cache_keys"][0]
    shutil.rmtree(cache / key[:2] / key)
    out = tmp_path / "grades"

    assert main(["grade", str(classroom), "--reference", str(REFERENCE), "--quick", "--out", str(out), "--cache", str(cache)]) == 0
    err = capsys.readouterr().err
    assert err.count("training cnn_bn") == 1, err  # the first honest verification trains it; the others read the cache
    assert "graded 5 submissions" in err and "3 fully reproduced, 3 ranked" in err

    ws = openpyxl.load_workbook(out / "grades.xlsx")["Grades"]
    header = {c.value: c.column_letter for c in ws[3] if c.value}
    rows = {ws[f"A{r}"].value: r for r in range(4, 9)}
    assert list(rows) == ["ada", "bob", "cyd", "dan", "eve"]

    def cell(group: str, name: str):
        return ws[f"{header[name]}{rows[group]}"].value

    verdicts = [name for name in header if name.endswith("_accuracy")]
    assert len(verdicts) == 10  # dense1, both mlp widths, cnn, cnn_bn; test and train accuracy
    for group in ("ada", "bob", "cyd"):
        assert {cell(group, name) for name in verdicts} == {"reproduced"}, group
    assert cell("dan", "cnn_bn test_accuracy") == "NOT reproduced" and cell("dan", "cnn_bn train_accuracy") == "reproduced"
    assert cell("eve", "cnn_bn test_accuracy") == cell("eve", "cnn_bn train_accuracy") == "missing"
    assert cell("eve", "cnn test_accuracy") == "reproduced"
    data = json.loads((out / "grades.json").read_text())
    scores = {g["group"]: (g["passed"], g["rank"]) for g in data["groups"]}
    assert scores == {"ada": (10, 1), "bob": (10, 1), "cyd": (10, 1), "dan": (9, None), "eve": (8, None)}
    cached = openpyxl.load_workbook(out / "grades.xlsx", data_only=True)["Grades"]
    assert [cached[f"{header['Passed']}{rows[g]}"].value for g in rows] == [10, 10, 10, 9, 8]
    assert [cached[f"{header['Rank']}{rows[g]}"].value for g in rows] == [1, 1, 1, "unranked", "unranked"]

    text = subprocess.run(["pdftotext", "-layout", str(out / "leaderboard.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    positions = [re.search(rf"\b{group}\b", text).start() for group in ("ada", "bob", "cyd", "dan", "eve")]
    assert positions == sorted(positions) and positions[2] < text.index("Unverified, not ranked") < positions[3]
    assert all((out / group / "verify.json").is_file() for group in rows)


def test_grade_with_ray_tasks(tmp_path: Path, make_submission, demo_cache: Path, capsys) -> None:
    """--executor ray: each verification a Ray task on a local instance started and stopped by grade (nothing trains:
    the grader's cache holds the demo's runs); a refused submission comes back as one too."""
    pytest.importorskip("ray")
    classroom = tmp_path / "class"
    make_submission(classroom, edit=_as_group("ada"), rehash=True, name="ada.zip")
    (classroom / "zed.zip").write_bytes(b"not a zip")
    out = tmp_path / "grades"
    assert main(["grade", str(classroom), "--reference", str(REFERENCE), "--quick", "--out", str(out), "--cache", str(demo_cache),
                 "--executor", "ray"]) == 0
    groups = {g["group"]: g for g in json.loads((out / "grades.json").read_text())["groups"]}
    assert groups["ada"]["passed"] == 10 and groups["ada"]["rank"] == 1
    assert groups["zed"]["refused"].startswith("refused: not a zip file") and groups["zed"]["rank"] is None
    assert (out / "ada" / "verify.pdf").is_file() and "graded 2 submissions" in capsys.readouterr().err


def test_each_verdict_is_written_as_it_comes_in(tmp_path: Path, monkeypatch, capsys) -> None:
    """Interrupted after two submissions, grades.json keeps both verdicts; a gradebook that cannot be written loses none."""
    import reportgen.submission.gradebook as gradebook_module

    folder = tmp_path / "class"
    folder.mkdir()
    for name in GROUPS:
        (folder / f"{name}.zip").write_bytes(b"PK")
    seen = []

    def fake_verify(zip_path: Path, out: Path, **_):
        seen.append(zip_path.stem)
        if len(seen) == 3:
            raise KeyboardInterrupt  # the grader's Ctrl-C, or a kill, during the third
        return report(zip_path.stem)

    monkeypatch.setattr(verify_module, "verify_submission", fake_verify)
    out = tmp_path / "out"
    assert main(["grade", str(folder), "--reference", str(REFERENCE), "--out", str(out)]) == 130
    partial = json.loads((out / "grades.json").read_text())
    assert partial["complete"] is False and (partial["verified"], partial["submissions"]) == (2, 5)
    assert [g["group"] for g in partial["groups"]] == ["ada", "bob"] and partial["groups"][1]["rank"] == 1

    monkeypatch.setattr(verify_module, "verify_submission", lambda zip_path, out, **_: report(zip_path.stem))

    def broken(*_args, **_kwargs):
        raise gradebook_module.RenderError("cannot write the gradebook: disk on fire")

    monkeypatch.setattr(gradebook_module, "write_gradebook", broken)
    capsys.readouterr()
    assert main(["grade", str(folder), "--reference", str(REFERENCE), "--out", str(out)]) == 2
    assert "disk on fire" in capsys.readouterr().err
    done = json.loads((out / "grades.json").read_text())
    assert done["complete"] is True and [g["group"] for g in done["groups"]] == list(GROUPS)
