"""What a student writes naturally is accepted: Keras' short loss and metric names, numbers where text is expected."""

from __future__ import annotations

from pathlib import Path

from reportgen.spec import load_spec

SPEC = """\
title: 2024
group: 42
authors: [Ann Lee, 7]
datasets:
  d: {source: digits, flatten: true}
training: {loss: mse, metrics: [acc, MAE]}
runs:
  a:
    model: [{Dense: {units: 10, activation: softmax}}]
  b:
    model: [{Dense: {units: 10, activation: softmax}}]
    training: {loss: mean_squared_error, metrics: [accuracy, mean_absolute_error]}
"""


def test_keras_short_names_and_numbers_as_text(tmp_path: Path) -> None:
    (tmp_path / "e.yaml").write_text(SPEC)
    spec = load_spec(tmp_path / "e.yaml")
    assert (spec.title, spec.group, spec.authors) == ("2024", "42", ("Ann Lee", "7"))
    a, b = spec.runs["a"], spec.runs["b"]
    assert a.training.loss == "mean_squared_error"
    assert a.training.metrics == ("accuracy", "mean_absolute_error")
    dataset = spec.datasets["d"]
    assert a.canonical(dataset)["training"] == b.canonical(dataset)["training"]  # one spelling: one cache key
