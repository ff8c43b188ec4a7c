"""Whole builds through the real CLI: PDF read back, caching, interruption, offline data."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pypdf import PdfReader

from reportgen.cli import main
from test_pdf_layout import assert_fits_the_page
from reportgen.report import format_percent

ROOT = Path(__file__).resolve().parents[1]

TINY = """\
title: "Tiny"
pw: "T1"
datasets:
  flat: {{source: digits, flatten: true}}
  images: {{source: digits}}
training: {{epochs: {epochs}, batch_size: 64, seed: 3}}
runs:
  dense:
    dataset: flat
    model: [{{Dense: {{units: 10, activation: softmax, kernel_regularizer: {{l2: 0.05}}}}}}]
  cnn:
    dataset: images
    model:
      - Conv2D: {{filters: 4, kernel_size: 3, padding: same}}
      - Activation: relu
      - Flatten
      - Dense: {{units: 10, activation: softmax}}
    training: {{epochs: {cnn_epochs}}}
report:
  sections:
    - title: Results
      content:
        - table: {{caption: Accuracies}}
        - weights: {{run: dense}}
        - curves: {{runs: [dense, cnn]}}
        - confusion: {{run: cnn}}
"""


def _write(tmp: Path, epochs: int = 1, cnn_epochs: int = 1) -> Path:
    file = tmp / "tiny.yaml"
    file.write_text(TINY.format(epochs=epochs, cnn_epochs=cnn_epochs))
    return file


def _build(file: Path, tmp: Path, *extra: str) -> dict:
    assert main(["report", str(file), "--out", str(tmp / "out"), "--cache", str(tmp / "cache"), *extra]) == 0
    return json.loads((tmp / "out" / "results.json").read_text())


def _pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


@pytest.fixture(scope="module")
def first_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """`_build(_write(tmp), tmp)` on an empty cache, made once: read as it is, never changed. (An unchanged rebuild
    builds its own: the outputs' stamp holds the experiment file's path, so a copy is not up to date.)"""
    tmp = tmp_path_factory.mktemp("tiny")
    return tmp, _build(_write(tmp), tmp)


@pytest.fixture
def built(first_build: tuple[Path, dict], tmp_path: Path) -> tuple[Path, dict]:
    """This test's own copy of the first build (tiny.yaml, cache, outputs, file times), as if it had just built it."""
    shutil.copytree(first_build[0], tmp_path, symlinks=True, dirs_exist_ok=True)
    return tmp_path, json.loads(json.dumps(first_build[1]))


def test_pdf_prints_every_accuracy_of_results_json(first_build: tuple[Path, dict]) -> None:
    tmp_path, results = first_build
    assert results["experiment"] == "tiny" and results["profile"] == "full"
    assert set(results["runs"]) == {"dense", "cnn"}
    text = _pdf_text(tmp_path / "out" / "report.pdf")
    for run in results["runs"].values():
        assert set(run["metrics"]) == {"train_accuracy", "test_accuracy", "train_loss", "test_loss",
                                       "train_correct", "train_total", "test_correct", "test_total"}
        assert run["metrics"]["test_accuracy"] == run["metrics"]["test_correct"] / run["metrics"]["test_total"]
        for key in ("train_accuracy", "test_accuracy"):
            assert format_percent(run["metrics"][key]) in text
        assert run["cache_key"] in text.replace("\n", "")
        assert run["n_train"] + run["n_val"] + run["n_test"] == 1797 and run["from_cache"] is False
        assert run["n_val"] == round(0.1 * (1797 - run["n_test"]))  # the held-out tenth of the training images
    assert len(list((tmp_path / "out" / "figures").glob("*.png"))) == 3
    assert "Figure 3" in text and "Table 1" in text


def test_unchanged_rebuild_trains_nothing_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = _write(tmp_path)
    _build(file, tmp_path)
    pdf = tmp_path / "out" / "report.pdf"
    before = pdf.stat().st_mtime_ns
    capsys.readouterr()
    _build(file, tmp_path)
    assert "up to date (2 runs cached)" in capsys.readouterr().err
    assert pdf.stat().st_mtime_ns == before


def test_changing_one_runs_epochs_retrains_that_run_only(built: tuple[Path, dict]) -> None:
    tmp_path, first = built  # _build(_write(tmp_path), tmp_path) done
    second = _build(_write(tmp_path, cnn_epochs=2), tmp_path)
    assert second["runs"]["dense"]["from_cache"] is True
    assert second["runs"]["dense"]["cache_key"] == first["runs"]["dense"]["cache_key"]
    assert second["runs"]["cnn"]["from_cache"] is False and second["runs"]["cnn"]["epochs"] == 2
    forced = _build(_write(tmp_path, cnn_epochs=2), tmp_path, "--force")
    assert not any(run["from_cache"] for run in forced["runs"].values())


def test_quick_profile_is_marked_on_every_page(tmp_path: Path) -> None:
    results = _build(_write(tmp_path, epochs=3), tmp_path, "--quick")
    assert results["profile"] == "quick"
    assert all(run["epochs"] == 1 and run["n_train"] + run["n_val"] == 1000 for run in results["runs"].values())
    reader = PdfReader(tmp_path / "out" / "report.pdf")
    assert len(reader.pages) >= 2
    assert all("QUICK PROFILE" in page.extract_text() for page in reader.pages)


def test_sigkill_mid_training_leaves_no_cache_entry(tmp_path: Path) -> None:
    file = _write(tmp_path, epochs=1, cnn_epochs=400)
    cache = tmp_path / "cache"
    command = [sys.executable, "-m", "reportgen", "report", str(file), "--out", str(tmp_path / "out"), "--cache", str(cache)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    seen = []
    for line in process.stderr:  # the cnn run prints one line per epoch when stderr is not a terminal
        seen.append(line)
        if "epoch 2/400" in line:
            break
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert any("trained dense" in line for line in seen), seen
    entries = [p for p in cache.glob("??/*") if p.is_dir()]
    assert len(entries) == 1  # dense finished; cnn was killed
    assert not (tmp_path / "out" / "report.pdf").exists()

    _write(tmp_path, epochs=1, cnn_epochs=2)  # the user makes it shorter and builds again
    results = _build(file, tmp_path)
    assert results["runs"]["dense"]["from_cache"] is True
    assert results["runs"]["cnn"]["from_cache"] is False


def test_pw04_quick_builds_offline_on_a_tiny_cifar_archive(pw04_quick_build: Path) -> None:
    """`reportgen report pw04 --quick` with a 120/40-image archive as the only CIFAR-10 there is (no Keras cache, no
    download): tests/background_builds.py's pw04, built in the background from the start of the session."""
    tmp_path = pw04_quick_build
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["profile"] == "quick" and len(results["runs"]) == 9
    assert all(run["n_train"] == 120 and run["n_test"] == 40 for run in results["runs"].values())
    text = _pdf_text(tmp_path / "out" / "report.pdf")
    assert "CONV D=32, w=h=3, S=1, P='same'; RELU; MAXPOOL; DENSE 10, softmax" in text.replace("\n", " ")
    for run in results["runs"].values():
        assert format_percent(run["metrics"]["test_accuracy"]) in text
    assert_fits_the_page(tmp_path / "out")  # every column of every table printed, every word inside the margins


def test_pw04_without_cifar_fails_before_training_with_one_line(tmp_path: Path) -> None:
    """The missing archive is reported while planning (after Keras' own loader tried to download it, as users with a
    network get it), before any run trains: no cache entry is written. How fast that is lives in no timed test."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REPORTGEN_DATA_PATH": str(tmp_path), "KERAS_HOME": str(tmp_path / "keras")}
    done = subprocess.run([sys.executable, "-m", "reportgen", "report", "pw04", "--quick", "--cache", str(tmp_path / "cache"),
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "cifar-10-python.tar.gz" in lines[0] and "REPORTGEN_DATA_PATH" in lines[0]
    assert "training" not in done.stdout + done.stderr
    assert not list((tmp_path / "cache").glob("??/*/result.json")) and not (tmp_path / "out" / "report.pdf").exists()


def test_pw09_quick_builds_with_activation_maps_equal_to_keras_sub_models(pw09_quick_build: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """`reportgen report pw09 --quick` on the tiny CIFAR-10 archive, as pw04's (tests/background_builds.py's pw09)."""
    import keras

    from background_builds import cifar_environment
    from reportgen.data import load as load_data
    from reportgen.run import Cache
    from reportgen.run.result import activations_probe

    tmp_path = pw09_quick_build
    for name, value in cifar_environment(tmp_path).items():  # the build's data: its archive, no Keras cache
        monkeypatch.setenv(name, value)
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert len(results["runs"]) == 7 and "cnn_aug[flip_translate]" in results["runs"]
    text = _pdf_text(tmp_path / "out" / "report.pdf")
    best = max(["cnn", *(n for n in results["runs"] if n.startswith("cnn_aug"))], key=lambda n: results["runs"][n]["metrics"]["test_accuracy"])
    assert f"Best test accuracy: {best}" in text.replace("\n", " ")
    assert_fits_the_page(tmp_path / "out")

    key = results["runs"]["cnn"]["cache_key"]
    cache = Cache(tmp_path / "cache")
    probe = cache.read_probe(key, activations_probe(12))
    model = keras.saving.load_model(cache.entry(key) / "model.keras")
    image = load_data("cifar10", {}).x_train[12]
    np.testing.assert_array_equal(probe["image"], image)
    for layer in ("conv2", "relu2", "pool1"):
        sub = keras.Model(model.inputs, model.get_layer(layer).output)
        np.testing.assert_allclose(probe[layer], sub.predict(image[None], verbose=0)[0], rtol=1e-5, atol=1e-6)
    assert probe["conv2"].shape == (32, 32, 32) and probe["pool1"].shape == (16, 16, 32)
