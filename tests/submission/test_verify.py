"""reportgen verify on the demo's submission: reproduced, forged numbers, tampered files, required items, runs, workbook."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

from submissions import DEMO, edit_json

from reportgen.cli import main
from reportgen.spec import load_spec
from reportgen.submission.compare import compare_workbook
from reportgen.submission.verify import graded_runs, verify_submission
from reportgen.workbook import write_conv_workbook

PW04 = DEMO.parent / "pw04.yaml"
REPORT_KEYS = {"submission", "experiment", "title", "group", "authors", "files", "numbers", "workbook", "required", "differs",
               "extra", "notebook", "refused", "ok"}
VERDICT_KEYS = {"run", "metric", "reported", "regenerated", "std", "tolerance", "verdict", "note"}
GRADED = ["dense1", "mlp[units=32]", "mlp[units=128]", "cnn", "cnn_bn"]


def _verify(zip_path: Path, out: Path, cache: Path, *extra: str) -> tuple[int, dict, str]:
    code = main(["verify", str(zip_path), "--reference", str(DEMO), "--quick", "--out", str(out), "--cache", str(cache), *extra])
    pdf = subprocess.run(["pdftotext", "-layout", str(out / "verify.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    return code, json.loads((out / "verify.json").read_text()), pdf


def test_an_honest_submission_is_reproduced_number_by_number(demo_submission: Path, demo_cache: Path, tmp_path: Path, capsys) -> None:
    start = time.perf_counter()
    code, report, pdf = _verify(demo_submission, tmp_path / "v", demo_cache)
    print(f"verify of the demo (quick, runs cached): {time.perf_counter() - start:.1f} s")
    assert code == 0 and report["ok"] and report["refused"] is None
    assert set(report) == REPORT_KEYS and all(set(v) == VERDICT_KEYS for v in report["numbers"])
    assert [(v["run"], v["metric"]) for v in report["numbers"]] == [(r, m) for r in GRADED for m in ("test_accuracy", "train_accuracy")]
    assert {v["verdict"] for v in report["numbers"]} == {"reproduced"}
    assert report["files"]["ok"] == sorted(report["files"]["ok"]) and len(report["files"]["ok"]) == 6 + 2 * 9  # + weights
    assert "demo.ipynb" in report["files"]["ok"] and report["notebook"] == []
    assert report["files"]["tampered"] == report["files"]["missing"] == report["files"]["unlisted"] == []
    assert report["required"] == {"runs": [], "sections": [], "figures": []} and report["workbook"] == []
    assert (report["experiment"], report["group"], report["authors"]) == ("demo", "demo", ["reportgen"])
    mlp = next(v for v in report["numbers"] if v["run"] == "mlp[units=128]")
    assert mlp["std"] > 0 and mlp["tolerance"] == max(2 * mlp["std"], 0.005)  # replicates: k times the rebuild's std (k: 2)
    assert "Verified" in pdf and pdf.count("reproduced") >= 10 and "NOT" not in pdf
    assert "verified: 10 reproduced" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "v").iterdir()) == ["verify.html", "verify.json", "verify.pdf"]  # scratch removed


def test_a_forged_accuracy_is_not_reproduced_and_a_mean_within_k_std_passes(make_submission, demo_cache: Path, tmp_path: Path) -> None:
    def forge(results: dict) -> None:
        results["runs"]["cnn"]["metrics"]["test_accuracy"] += 0.1
        mlp = results["runs"]["mlp[units=128]"]
        mlp["metrics"]["test_accuracy"] += 0.5 * mlp["std"]["test_accuracy"]

    forged = make_submission(tmp_path, lambda m: edit_json(m, "results.json", forge), rehash=True)
    code, report, pdf = _verify(forged, tmp_path / "v", demo_cache)
    assert code == 1 and not report["ok"] and report["files"]["tampered"] == []
    verdicts = {(v["run"], v["metric"]): v["verdict"] for v in report["numbers"]}
    assert verdicts.pop(("cnn", "test_accuracy")) == "NOT reproduced"
    assert verdicts.pop(("mlp[units=128]", "test_accuracy")) == "within tolerance"
    assert set(verdicts.values()) == {"reproduced"}
    assert "NOT verified" in pdf and "NOT reproduced" in pdf and "within tolerance" in pdf


def test_files_edited_removed_or_added_without_the_manifest_are_listed_first(make_submission, demo_cache: Path, tmp_path: Path) -> None:
    def tamper(members: dict[str, bytes]) -> None:
        members["experiments/answers/demo.md"] += b"\nAn answer added after the build.\n"
        del members["report.pdf"]
        members["notes.txt"] = b"not in the manifest"

    report = verify_submission(make_submission(tmp_path, tamper), tmp_path / "v", reference=DEMO, runs=["dense1"], cache=demo_cache, quick=True)
    # the plain notebook shows the answer as it was: no longer the one its experiment makes
    assert report.files["tampered"] == ["demo.ipynb", "experiments/answers/demo.md"] and report.files["missing"] == ["report.pdf"]
    assert report.files["unlisted"] == ["notes.txt"] and not report.ok
    assert {v.verdict for v in report.numbers} == {"reproduced"}  # the numbers themselves still reproduce
    html = (tmp_path / "v" / "verify.html").read_text()
    assert html.index("tampered: experiments/answers/demo.md") < html.index("missing: report.pdf") < html.index("<h2>Numbers")


def test_required_runs_sections_and_figures_missing_are_entries_not_crashes(make_submission, demo_cache: Path, tmp_path: Path) -> None:
    def drop(members: dict[str, bytes]) -> None:
        text = members["experiments/demo.yaml"].decode()
        text = text.replace('title: "Convolutional networks"', 'title: "CNNs"').replace("confusion: {run: cnn_bn", "confusion: {run: cnn")
        members["experiments/demo.yaml"] = text.replace("tolerance: {test_accuracy: 0.005}", "tolerance: {test_accuracy: 1}").encode()

    report = verify_submission(make_submission(tmp_path, drop, rehash=True), tmp_path / "v", reference=DEMO,
                               runs=["dense1", "ghost"], cache=demo_cache, quick=True)
    assert report.required == {"runs": ["ghost"], "sections": ["Convolutional networks"], "figures": ["confusion of cnn_bn"]}
    assert [(v.run, v.verdict) for v in report.numbers] == [("dense1", "reproduced")] * 2 + [("ghost", "missing")] * 2
    assert report.numbers[0].tolerance == 0.005  # the reference's tolerance, not the student's own grading block
    assert not report.ok and report.files["tampered"] == []


def test_runs_and_a_seeded_sample_choose_what_is_rebuilt(demo_submission: Path, demo_cache: Path, tmp_path: Path) -> None:
    spec = load_spec(DEMO)
    assert graded_runs(["mlp"], spec, None, 0) == ["mlp[units=32]", "mlp[units=128]"]
    drawn = graded_runs([], spec, 2, 7)
    assert len(drawn) == 2 and drawn == graded_runs([], spec, 2, 7) and set(drawn) <= set(GRADED)
    assert {tuple(graded_runs([], spec, 2, seed)) for seed in range(8)} != {tuple(drawn)}  # the seed decides
    code, report, _ = _verify(demo_submission, tmp_path / "v", demo_cache, "--sample", "2", "--seed", "7")
    assert code == 0 and [v["run"] for v in report["numbers"]] == [run for run in drawn for _ in range(2)]


def _reference_with_workbook(tmp_path: Path) -> Path:
    """The demo as a reference that also asks for PW04's convolution workbook (exercise 1)."""
    shutil.copytree(DEMO.parent / "answers", tmp_path / "answers")
    pw04 = PW04.read_text()
    convolution = pw04[pw04.index("convolution:\n"):pw04.index("\nruns:")]
    text = DEMO.read_text().replace("\nruns:", "\n" + convolution + "\nruns:", 1)
    text = text.replace('    - title: "Answers"', '    - title: "Convolutions"\n      content: [{convolution: {}}]\n    - title: "Answers"')
    (tmp_path / "reference.yaml").write_text(text)
    return tmp_path / "reference.yaml"


def test_the_workbook_is_recomputed_and_compared_cell_by_cell(make_submission, demo_cache: Path, tmp_path: Path) -> None:
    reference = _reference_with_workbook(tmp_path / "ref")
    without = verify_submission(make_submission(tmp_path / "a"), tmp_path / "va", reference=reference, runs=["dense1"], cache=demo_cache, quick=True)
    assert without.workbook == [{"cell": "cnn-ex1.xlsx", "reported": None, "regenerated": None, "verdict": "missing"}] and not without.ok
    book = write_conv_workbook(load_spec(reference).convolution, tmp_path / "book" / "cnn-ex1.xlsx").read_bytes()
    honest = make_submission(tmp_path / "b", lambda m: m.update({"cnn-ex1.xlsx": book}), rehash=True)
    report = verify_submission(honest, tmp_path / "vb", reference=reference, runs=["dense1"], cache=demo_cache, quick=True)
    assert report.ok and len(report.workbook) > 100 and {c["verdict"] for c in report.workbook} == {"reproduced"}
    assert "cnn-ex1.xlsx" in report.files["ok"]


def test_a_workbook_with_other_values_differs_in_those_cells(tmp_path: Path) -> None:
    spec = load_spec(PW04).convolution
    ours = write_conv_workbook(spec, tmp_path / "ours" / "cnn-ex1.xlsx")
    assert {c["verdict"] for c in compare_workbook("cnn-ex1.xlsx", ours, ours)} == {"reproduced"}
    from dataclasses import replace

    theirs = write_conv_workbook(replace(spec, conv1d=replace(spec.conv1d, bias=1)), tmp_path / "theirs" / "cnn-ex1.xlsx")
    rows = compare_workbook("cnn-ex1.xlsx", theirs, ours)
    wrong = [c for c in rows if c["verdict"] != "reproduced"]
    assert wrong and all(c["cell"].startswith("cnn-ex1.xlsx:1D convolution!") for c in wrong)
    assert all(c["verdict"] == "reproduced" for c in rows if "2D convolution" in c["cell"])
