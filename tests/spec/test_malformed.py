"""Malformed experiment files: each exits 2 with one located line and no traceback."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from reportgen.cli import main

VALID = """\
title: t
datasets:
  d: {source: digits, flatten: true}
runs:
  a:
    model:
      - Dense: {units: 10, activation: softmax}
"""

# name -> (file text, expected "LINE:COL", a fragment of the message)
CASES = {
    "syntax_error": ("title: t\nruns: [a, b\n", None, "invalid YAML"),
    "empty_file": ("", "1:1", "Received: an empty file"),
    "only_comments": ("# nothing here\n", "1:1", "Received: an empty file"),
    "not_a_mapping": ("- a\n- b\n", "1:1", "expected a mapping of experiment settings"),
    "python_object_tag": (VALID + "group: !!python/object/apply:os.system ['echo hi']\n", "8:8", "tags that build objects are not allowed"),
    "custom_tag": (VALID.replace("title: t", "title: !secret t"), "1:8", "expected plain YAML data"),
    "unknown_top_key": (VALID + "trainig: {epochs: 3}\n", "8:1", "unknown key 'trainig'; expected one of: .* Did you mean 'training'\\?"),
    "duplicate_key": (VALID + "title: again\n", "8:1", "duplicate key 'title' \\(first written at line 1\\)"),
    "wrong_type_epochs": (VALID + "training: {epochs: five}\n", "8:20", "training.epochs: expected a positive integer. Received: 'five'"),
    "negative_units": (VALID.replace("units: 10", "units: -3"), "7:24", "runs.a.model\\[0\\].Dense.units: expected a positive integer. Received: -3"),
    "negative_batch": (VALID + "training: {batch_size: -128}\n", "8:24", "training.batch_size: expected a positive integer. Received: -128"),
    "zero_quick": (VALID + "quick: {train: 0}\n", "8:16", "quick.train: expected a positive integer. Received: 0"),
    "unknown_layer": (VALID.replace("Dense: {units: 10, activation: softmax}", "Dens: {units: 10}"), "7:9", "unknown layer 'Dens'; known: .* Did you mean 'Dense'\\?"),
    "unknown_layer_arg": (VALID.replace("activation: softmax", "activaton: softmax"), "7:28", "unknown key 'activaton'.* Did you mean 'activation'\\?"),
    "unknown_activation": (VALID.replace("activation: softmax", "activation: softmx"), "7:40", "expected an activation: .* Received: 'softmx'. Did you mean 'softmax'\\?"),
    "unknown_dataset_source": (VALID.replace("source: digits", "source: cifar100"), "3:15", "unknown dataset source 'cifar100'; known: .* Did you mean 'cifar10'\\?"),
    "unknown_dataset_ref": (VALID.replace("  a:\n", "  a:\n    dataset: e\n"), "6:14", "runs.a.dataset: unknown dataset 'e'; known: d"),
    "duplicate_run_names": (VALID + "  a:\n    model: [Flatten]\n", "8:3", "duplicate key 'a'"),
    "sweep_name_clash": (VALID + "  b:\n    model: [{Dense: 10}]\n    sweep: {'model[0].units': [10, 10]}\n", "8:3", "expected unique run names. Received: 'b\\[units=10\\]' twice"),
    "missing_runs": ("title: t\ndatasets:\n  d: {source: digits}\n", "1:1", "missing required key 'runs'"),
    "empty_model": (VALID.replace("    model:\n      - Dense: {units: 10, activation: softmax}\n", "    model: []\n"), "6:12", "expected a non-empty list"),
    "dropout_rate_too_big": (VALID.replace("      - Dense", "      - Dropout: 1.5\n      - Dense"), "7:18", "Dropout.rate: expected a number >= 0 and <= 1. Received: 1.5"),
    "unknown_optimizer": (VALID + "training: {optimizer: adamm}\n", "8:23", "unknown optimizer 'adamm'.* Did you mean 'adam'\\?"),
    "unknown_column": (VALID + "report:\n  sections:\n    - title: s\n      content:\n        - table: {columns: [run, acc]}\n",
                       "12:34", "unknown column 'acc'; known: run, architecture"),
    "unknown_figure_run": (VALID + "report:\n  sections:\n    - title: s\n      content:\n        - curves: {runs: [b]}\n",
                           "12:27", "unknown run 'b'; known: a"),
    "missing_markdown": (VALID + "report:\n  sections:\n    - title: s\n      content:\n        - text: nope.md\n", "12:17", "expected a Markdown file. Received: 'nope.md'"),
    "idx_without_path": (VALID.replace("source: digits", "source: idx"), "3:6", "datasets.d: missing required key 'path'"),
    "bad_sweep_path": (VALID.replace("  a:\n", "  a:\n    sweep: {'model[5].units': [1, 2]}\n"), "6:13", "expected a path to a value of run 'a'"),
    "two_documents": (VALID + "---\ntitle: u\n", "9:1", "expected one YAML document"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_file_exits_2_with_one_located_line(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text, where, fragment = CASES[case]
    file = tmp_path / f"{case}.yaml"
    file.write_text(text)
    code = main(["report", str(file), "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "cache")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    match = re.match(rf"^(.+{re.escape(file.name)}):(\d+):(\d+): (.*)$", err)
    assert match, err
    if where:
        assert f"{match.group(2)}:{match.group(3)}" == where, err
    assert re.search(fragment, match.group(4)), err
    assert not (tmp_path / "out").exists()


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "many.yaml"
    file.write_text(VALID.replace("units: 10", "units: 0").replace("source: digits", "source: digit") + "training: {epochs: 0, seed: -1}\n")
    assert main(["validate", str(file)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert [re.search(r"\.yaml:(\d+):", line).group(1) for line in lines] == ["3", "7", "8", "8"]


def test_cli_subprocess_prints_no_traceback(tmp_path: Path) -> None:
    file = tmp_path / "bad.yaml"
    file.write_text(VALID + "junk: 1\n")
    done = subprocess.run([sys.executable, "-m", "reportgen", "report", str(file)], capture_output=True, text=True, cwd=tmp_path,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "unknown key 'junk'" in done.stderr


def test_unknown_experiment_name_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "experiments").mkdir()
    (tmp_path / "experiments" / "pw04.yaml").write_text(VALID)
    assert main(["report", "pw4"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: unknown experiment 'pw4'") and "Did you mean 'pw04'?" in err
