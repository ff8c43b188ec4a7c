"""The executed plain-Keras notebook in a submission: verify regenerates its cells and reads the numbers it printed."""

from __future__ import annotations

import json
from pathlib import Path

from submissions import DEMO

from reportgen.submission.verify import verify_submission

NOTEBOOK = "demo.ipynb"


def _verify(zip_path: Path, cache: Path, out: Path) -> dict:
    verify_submission(zip_path, out, reference=DEMO, cache=cache, quick=True)
    return json.loads((out / "verify.json").read_text())


def test_the_honest_notebook_is_verified(demo_submission: Path, demo_cache: Path, tmp_path: Path) -> None:
    report = _verify(demo_submission, demo_cache, tmp_path / "out")
    assert NOTEBOOK in report["files"]["ok"] and report["notebook"] == [] and report["ok"]


def _edit_printed(members: dict[str, bytes], change) -> None:
    notebook = json.loads(members[NOTEBOOK])
    cell = next(c for c in notebook["cells"] if "reportgen-metrics" in c.get("metadata", {}).get("tags", []))
    printed = json.loads("".join(cell["outputs"][0]["text"]))
    change(printed)
    cell["outputs"][0]["text"] = json.dumps(printed, indent=1, sort_keys=True) + "\n"
    members[NOTEBOOK] = json.dumps(notebook, indent=1).encode()


def test_an_edited_number_in_the_notebook_is_not_reproduced(make_submission, demo_cache: Path, tmp_path: Path) -> None:
    """A forger who keeps the manifest's hashes consistent: the notebook's printed test accuracy is not results.json's."""
    def edit(members: dict[str, bytes]) -> None:
        _edit_printed(members, lambda printed: printed["cnn"]["1"].update(test_accuracy=0.99))

    report = _verify(make_submission(tmp_path / "zip", edit, rehash=True), demo_cache, tmp_path / "out")
    assert not report["ok"] and NOTEBOOK in report["files"]["ok"]
    assert any("run 'cnn' seed 1: test_accuracy" in line and "0.99 in the notebook" in line for line in report["notebook"])
    assert "Notebook" in (tmp_path / "out" / "verify.html").read_text()


def test_a_cell_the_generator_does_not_write_is_tampered(make_submission, demo_cache: Path, tmp_path: Path) -> None:
    def edit(members: dict[str, bytes]) -> None:
        notebook = json.loads(members[NOTEBOOK])
        cell = next(c for c in notebook["cells"] if c["cell_type"] == "code" and "def build_cnn(" in "".join(c["source"]))
        cell["source"] = "".join(cell["source"]) + "\nimport os\nos.system('echo owned')\n"
        members[NOTEBOOK] = json.dumps(notebook, indent=1).encode()

    report = _verify(make_submission(tmp_path / "zip", edit, rehash=True), demo_cache, tmp_path / "out")
    assert not report["ok"] and NOTEBOOK in report["files"]["tampered"]
    assert report["notebook"] and "code that the generator does not write" in report["notebook"][0]


def test_forged_inputs_give_generated_code_or_a_tampered_notebook(make_submission, demo_cache: Path, tmp_path: Path) -> None:
    """The inputs a notebook records reach its code as literals only: a hostile one makes no statement of its own."""
    def edit(members: dict[str, bytes]) -> None:
        notebook = json.loads(members[NOTEBOOK])
        notebook["metadata"]["reportgen"]["data"]["digits"] = {"reader": "load_idx", "find": "x'); import os; os.system('y"}
        notebook["metadata"]["reportgen"]["runs"]["cnn"]["classes"] = ["a"] * 3
        members[NOTEBOOK] = json.dumps(notebook, indent=1).encode()

    report = _verify(make_submission(tmp_path / "zip", edit, rehash=True), demo_cache, tmp_path / "out")
    assert NOTEBOOK in report["files"]["tampered"] and not report["ok"]  # the cells are not those inputs' cells
