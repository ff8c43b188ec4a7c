"""Builds on each Keras backend that installs here, and a cached build that never imports Keras."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]

TINY = """\
title: "Backends"
datasets:
  images: {source: digits}
training: {epochs: 2, batch_size: 64, seed: 5}
quick: {train: 300, test: 100, epochs: 1}
runs:
  cnn:
    model:
      - Conv2D: {filters: 4, kernel_size: 3, padding: same, name: conv1}
      - Activation: {activation: relu, name: relu1}
      - MaxPooling2D: {pool_size: 2, name: pool1}
      - Flatten
      - Dense: {units: 10, activation: softmax}
report:
  sections:
    - title: Results
      content:
        - table: {}
        - curves: {runs: [cnn]}
        - filters: {run: cnn, layer: conv1}
        - activations: {run: cnn, layers: [conv1, relu1, pool1], image: 3}
"""

# Runs the CLI in a fresh interpreter and reports which ML frameworks it imported.
PROBE = """\
import json, sys
from reportgen.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "imported": sorted(m for m in ("keras", "tensorflow", "jax", "torch", "matplotlib") if m in sys.modules)}))
"""


def _cli(tmp_path: Path, backend: str, *extra: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KERAS_BACKEND": backend}
    args = ["report", str(tmp_path / "tiny.yaml"), "--quick", "--out", str(tmp_path / backend), "--cache", str(tmp_path / "cache"), *extra]
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def experiment(tmp_path: Path) -> Path:
    (tmp_path / "tiny.yaml").write_text(TINY)
    return tmp_path


@pytest.fixture(scope="module")
def tensorflow_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """One TensorFlow build from an empty cache (the slowest step here), made once: read as it is, never changed."""
    tmp = tmp_path_factory.mktemp("tensorflow-build")
    (tmp / "tiny.yaml").write_text(TINY)
    return tmp, _cli(tmp, "tensorflow")


@pytest.fixture
def tensorflow_built(tensorflow_build: tuple[Path, dict], tmp_path: Path) -> Path:
    """This test's own copy of the TensorFlow build (cache, outputs, file times), as if it had just built it."""
    copy = tmp_path / "built"
    shutil.copytree(tensorflow_build[0], copy, symlinks=True)
    return copy


# tensorflow and jax install everywhere the tests run; torch only where a user (or a benchmark) installed it.
_TORCH = pytest.param("torch", marks=pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed"))


@pytest.mark.parametrize("backend", ["tensorflow", "jax", _TORCH])
def test_end_to_end_build_on_backend(request: pytest.FixtureRequest, backend: str) -> None:
    if backend == "tensorflow":  # the module's shared build, itself a first build on an empty cache
        experiment, outcome = request.getfixturevalue("tensorflow_build")
    else:
        experiment = request.getfixturevalue("experiment")
        outcome = _cli(experiment, backend)
    assert outcome["code"] == 0 and "keras" in outcome["imported"]
    results = json.loads((experiment / backend / "results.json").read_text())
    run = results["runs"]["cnn"]
    assert run["from_cache"] is False and run["epochs"] == 1 and 0 <= run["metrics"]["test_accuracy"] <= 1
    record = json.loads(next((experiment / "cache").glob(f"??/{run['cache_key']}/result.json")).read_text())
    assert record["manifest"]["backend"] == backend


def _run(experiment: Path, backend: str) -> dict:
    run = json.loads((experiment / backend / "results.json").read_text())["runs"]["cnn"]
    record = json.loads(next((experiment / "cache").glob(f"??/{run['cache_key']}/result.json")).read_text())
    return {**run, "backend": record["manifest"]["backend"]}


def test_results_travel_between_backends_and_force_trains_this_ones_own(tensorflow_built: Path) -> None:
    experiment = tensorflow_built  # `_cli(experiment, "tensorflow")` on an empty cache, done once for the module
    assert _cli(experiment, "jax")["imported"] == ["matplotlib"]  # the tensorflow result is drawn as it is: nothing trains
    travelled = _run(experiment, "jax")
    assert travelled["from_cache"] is True and travelled["backend"] == "tensorflow"
    for entry in (experiment / "cache").glob("??/*"):  # entries copied back alone, as from a GPU machine
        shutil.copytree(entry, experiment / "copied" / entry.parent.name / entry.name)
    copied = experiment / "copied-build"
    assert _cli(experiment, "jax", "--cache", str(experiment / "copied"), "--out", str(copied))["imported"] == ["matplotlib"]
    assert json.loads((copied / "results.json").read_text())["runs"]["cnn"]["cache_key"] == travelled["cache_key"]
    _cli(experiment, "jax", "--force")
    own = _run(experiment, "jax")
    assert own["backend"] == "jax" and own["cache_key"] != travelled["cache_key"]  # the backend is part of the key
    _cli(experiment, "jax", "--out", str(experiment / "again"))
    again = json.loads((experiment / "again" / "results.json").read_text())["runs"]["cnn"]
    assert again["cache_key"] == own["cache_key"] and again["from_cache"] is True  # this environment's entry wins


def test_a_cached_build_imports_no_ml_framework(tensorflow_built: Path) -> None:
    experiment = tensorflow_built  # `_cli(experiment, "tensorflow")` on an empty cache, done once for the module
    pdf = experiment / "tensorflow" / "report.pdf"
    before = pdf.stat().st_mtime_ns
    figures = {p: p.stat().st_mtime_ns for p in (experiment / "tensorflow" / "figures").glob("*.png")}
    assert len(figures) == 3
    templates = experiment / "templates"
    templates.mkdir()
    for name in ("report.html.j2", "report.css"):
        (templates / name).write_text((ROOT / "templates" / name).read_text())
    (templates / "report.css").write_text((templates / "report.css").read_text() + "\n/* edited: forces a re-render */\n")
    os.environ["REPORTGEN_TEMPLATES"] = str(templates)
    try:
        outcome = _cli(experiment, "tensorflow")
    finally:
        del os.environ["REPORTGEN_TEMPLATES"]
    assert outcome == {"code": 0, "imported": []}  # not even matplotlib: the figures' inputs did not change
    assert pdf.stat().st_mtime_ns != before  # re-rendered from the cache
    assert {p: p.stat().st_mtime_ns for p in figures} == figures


def test_mixed_precision_builds_end_to_end_and_is_cached_apart(tensorflow_built: Path) -> None:
    experiment = tensorflow_built  # `_cli(experiment, "tensorflow")` on an empty cache, done once for the module
    full = _run(experiment, "tensorflow")
    outcome = _cli(experiment, "tensorflow", "--mixed-precision", "--out", str(experiment / "mixed"))
    assert outcome["code"] == 0 and "keras" in outcome["imported"]  # a different run: it trains
    run = json.loads((experiment / "mixed" / "results.json").read_text())["runs"]["cnn"]
    assert run["cache_key"] != full["cache_key"] and run["from_cache"] is False
    entry = next((experiment / "cache").glob(f"??/{run['cache_key']}"))
    assert json.loads((entry / "result.json").read_text())["run"]["training"]["precision"] == "mixed_bfloat16"
    with np.load(next((entry / "probes").glob("*.npz"))) as probes:  # activation maps come back as plain float32
        assert {probes[k].dtype for k in probes.files if k != "image"} == {np.dtype("float32")}
    assert len(list((experiment / "mixed" / "figures").glob("*.png"))) == 3
