"""Validation that does not leak: by default a seeded, stratified tenth of the training images, never a test image."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np

from reportgen.cli import main
from reportgen.data import load
from reportgen.run.prepared import prepare_run, validation_split
from reportgen.spec import load_spec

SPEC = """\
title: t
datasets:
  d: {source: digits, flatten: true}
training: {epochs: 1, seed: 5}
runs:
  a:
    model: [{Dense: {units: 10, activation: softmax}}]
  leaky:
    model: [{Dense: {units: 10, activation: softmax}}]
    training:
      validation: test
      callbacks: [{EarlyStopping: {patience: 1, restore_best_weights: true}}]
report:
  sections:
    - title: Results
      content:
        - table: {caption: Accuracies, columns: [run, train_accuracy, test_accuracy]}
"""


def test_the_default_split_holds_out_a_stratified_tenth_of_the_training_images(tmp_path: Path) -> None:
    (tmp_path / "e.yaml").write_text(SPEC)
    spec = load_spec(tmp_path / "e.yaml")
    run = spec.runs["a"]
    assert run.training.validation == 0.1
    dataset = load("digits", spec.datasets["d"].options)
    fit, val = validation_split(dataset.y_train, 0.1, run.training.seed)
    n = len(dataset.y_train)
    assert len(val) == round(0.1 * n) and len(fit) + len(val) == n and not set(fit) & set(val)
    assert set(fit) | set(val) == set(range(n))  # indices into the training set: no test image can be among them
    assert np.abs(np.bincount(dataset.y_train[val], minlength=10) / len(val) - np.bincount(dataset.y_train) / n).max() < 0.02
    assert not np.array_equal(val, np.arange(n - len(val), n))  # not Keras' unshuffled last slice
    prepared = prepare_run(dataset, run)
    assert np.array_equal(prepared.x_val, dataset.x_train[val]) and np.array_equal(prepared.x_train, dataset.x_train[fit])
    assert np.array_equal(prepared.x_test, dataset.x_test)
    assert np.array_equal(validation_split(dataset.y_train, 0.1, run.training.seed)[1], val)  # seeded


def test_selecting_on_the_test_set_is_a_warning_from_validate(tmp_path: Path, capsys) -> None:
    (tmp_path / "e.yaml").write_text(SPEC)
    assert main(["validate", "--no-models", str(tmp_path / "e.yaml")]) == 0
    err = capsys.readouterr().err
    assert err.count("warning") == 1 and "run 'leaky': EarlyStopping chooses by the test set" in err


def test_test_numbers_chosen_by_the_test_set_are_marked_in_the_pdf_with_a_footnote(tmp_path: Path) -> None:
    (tmp_path / "e.yaml").write_text(SPEC)
    assert main(["report", str(tmp_path / "e.yaml"), "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "cache")]) == 0
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "out" / "report.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    rows: dict[str, str] = {}
    for match in re.finditer(r"^\s*(a|leaky)\s+(.*)$", text, flags=re.M):  # the results table's rows come first
        rows.setdefault(match.group(1), match.group(2))
    assert "†" in rows["leaky"] and "†" not in rows["a"]  # the leaky run's test accuracy only
    assert rows["leaky"].count("%") == 2 and rows["leaky"].index("†") > rows["leaky"].rindex("%")
    flat = " ".join(text.split())
    assert "† Selected on the test set (leaky: EarlyStopping, validating on the test images)" in flat
    assert "not held-out estimates" in flat
