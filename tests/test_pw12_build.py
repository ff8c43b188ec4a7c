"""PW12 end to end, offline: tiny CIFAR-10 and Food-101 in their official formats, stand-in ImageNet weights files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from background_builds import NOTMNIST_COPY
from reportgen.cli import main
from reportgen.report import format_percent

ROOT = Path(__file__).resolve().parents[1]

PROBE = """\
import json, sys
from reportgen.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "imported": sorted(m for m in ("keras", "tensorflow", "jax", "torch", "matplotlib", "sklearn") if m in sys.modules)}))
"""


@pytest.fixture(scope="module")
def built(pw12_quick_build: Path) -> Path:
    """`reportgen report pw12 --quick` with nothing but what the data path holds (tests/background_builds.py's pw12),
    built in the background from the start of the session (tests/conftest.py)."""
    return pw12_quick_build


def _results(tmp: Path) -> dict:
    return json.loads((tmp / "out" / "results.json").read_text())["runs"]


def _record(tmp: Path, run: dict) -> dict:
    return json.loads(next((tmp / "cache").glob(f"??/{run['cache_key']}/result.json")).read_text())


def test_table_1_has_its_callback_column_and_every_run_kept_its_best_epoch(built: Path) -> None:
    runs = _results(built)
    assert list(runs) == ["sequential", "multipath", "multifeature", "residual", "mobilenet[linear]", "mobilenet[mlp]", "efficientnet",
                          "dense_ae", "svm_codes", "svm_pixels", "conv_dae"]
    text = " ".join(page.extract_text() for page in PdfReader(built / "out" / "report.pdf").pages).replace("\n", " ")
    assert "Callback" in text and "Acc. train %" in text and "Acc. test %" in text
    for name in ("sequential", "multipath", "multifeature", "residual"):
        assert runs[name]["n_train"] == 120 and runs[name]["epochs"] == 1
        assert _record(built, runs[name])["checkpoint"]["best_epoch"] == 1
        assert format_percent(runs[name]["metrics"]["test_accuracy"]) in text
    assert text.count("best val_accuracy, epoch 1 of 1") >= 4
    assert "CONCAT[" in text and "ADD[" in text  # graphs are shown as branches, not flattened


def test_one_sharp_diagram_per_exercise_1_run(built: Path) -> None:
    diagrams = sorted((built / "out" / "figures").glob("*-diagram.svg"))
    assert len(diagrams) == 5  # four in exercise 1, one in exercise 2
    multipath = diagrams[1].read_text()
    assert "<svg" in multipath and "module_a_concatenate" in multipath and "Output shape" in multipath


def test_transfer_learning_trains_both_phases_on_20_food_classes(built: Path) -> None:
    runs = _results(built)
    for name in ("mobilenet[linear]", "mobilenet[mlp]", "efficientnet"):
        run = runs[name]
        assert run["n_train"] == 60 and run["n_test"] == 40 and run["epochs"] == 2  # 20 classes x (3, 2); 1 head + 1 fine-tuning epoch
        record = _record(built, run)
        assert [p["name"] for p in record["phases"]] == ["head", "fine-tune"]
        assert len(record["history"]["loss"]) == 2 and len(record["dataset"]["classes"]) == 20
        assert record["dataset"]["classes"][0] == "dish 00"
    text = " ".join(page.extract_text() for page in PdfReader(built / "out" / "report.pdf").pages)
    assert "then top 30 layers 1 ep." in text.replace("\n", " ")


def test_exercise_3_autoencoders_svms_and_denoising_on_a_copy_of_notmnist(built: Path) -> None:
    runs = _results(built)
    dense, conv = _record(built, runs["dense_ae"]), _record(built, runs["conv_dae"])
    assert dense["kind"] == conv["kind"] == "reconstruct"
    assert dense["code"]["size"] == 32 and dense["code"]["input_size"] == 784 and conv["code"]["shape"] == [7, 7, 128]
    assert dense["dataset"]["classes"] == list("ABCDEFGHIJ") and dense["dataset"]["n_train_full"] == 400
    assert dense["dataset"]["copy"] == NOTMNIST_COPY  # the notmnist source read the smaller copy on the data path
    assert "noisy_psnr" in conv["metrics"] and "noisy_psnr" not in dense["metrics"]
    codes, pixels = _record(built, runs["svm_codes"]), _record(built, runs["svm_pixels"])
    assert codes["features"]["size"] == 32 and pixels["features"]["size"] == 784
    assert codes["parents"] == {"dense_ae": runs["dense_ae"]["cache_key"]} and pixels["parents"] == {}
    figures = sorted(p.name for p in (built / "out" / "figures").glob("*"))
    assert sum(name.endswith("reconstructions.png") for name in figures) == 2 and any(n.endswith("codes.png") for n in figures)
    text = " ".join(page.extract_text() for page in PdfReader(built / "out" / "report.pdf").pages).replace("\n", " ")
    assert "24.5× (784 → 32 values; 784 B → 128 B, 6.1×)" in text  # compression in values and in bytes per image
    assert format_percent(runs["svm_codes"]["metrics"]["test_accuracy"]) in text


def test_exercise_3_alone_builds_without_cifar_or_food(built: Path, tmp_path: Path) -> None:
    """`--section 3`: only the notMNIST runs (cached by the full build); no CIFAR-10, Food-101 or ImageNet weights
    on the data path (only the copy of notMNIST), and none read."""
    saved = os.environ.get("REPORTGEN_DATA_PATH")
    os.environ["REPORTGEN_DATA_PATH"] = os.pathsep.join([str(tmp_path / "empty"), str(built / "letters")])
    try:
        code = main(["report", str(ROOT / "experiments" / "pw12.yaml"), "--quick", "--section", "3", "--out", str(tmp_path / "out"),
                     "--cache", str(built / "cache")])
    finally:
        os.environ.pop("REPORTGEN_DATA_PATH") if saved is None else os.environ.__setitem__("REPORTGEN_DATA_PATH", saved)
    assert code == 0
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert list(results["runs"]) == ["dense_ae", "svm_codes", "svm_pixels", "conv_dae"]
    assert results["sections"] == ["3. Exercise 3: autoencoders on notMNIST"]
    text = PdfReader(tmp_path / "out" / "report.pdf").pages[0].extract_text().replace("\n", " ")
    assert "Partial build" in text and "3. Exercise 3" in text
    assert f"Built on a subset: notmnist from {NOTMNIST_COPY} (400 / 200 training / test images)" in text  # not the 60,000


def test_a_cached_rerender_of_pw12_imports_no_ml_framework(built: Path) -> None:
    templates = built / "templates"
    templates.mkdir(exist_ok=True)
    for name in ("report.html.j2", "report.css"):
        (templates / name).write_text((ROOT / "templates" / name).read_text())
    (templates / "report.css").write_text((templates / "report.css").read_text() + "\n/* edited: forces a re-render */\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REPORTGEN_TEMPLATES": str(templates),
           "REPORTGEN_DATA_PATH": os.pathsep.join([str(built / "data"), str(built / "letters")]),
           "KERAS_HOME": str(built / "keras"), "REPORTGEN_DECODED": str(built / "decoded")}
    args = ["report", str(ROOT / "experiments" / "pw12.yaml"), "--quick", "--out", str(built / "out"), "--cache", str(built / "cache")]
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env, cwd=built, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"code": 0, "imported": []}
