"""One mistake, one message: an inherited bad value once, no knock-on errors, a bad sweep path hides nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportgen.errors import SpecError
from reportgen.spec import load_spec

SPEC = """\
title: t
datasets:
  d: {source: digits, flatten: true}
training: {epochs: -3}
runs:
  a:
    model: [{Dense: {units: 10, activation: softmax}}]
  b:
    model: [{Dense: {units: 10, activation: softmax}}]
    sweep: {"model[0].units": [10, 20]}
  c:
    model: [{Dense: {units: 10, activation: softmax}}]
    sweep: {"model[7].units": [10, 20]}
    training: {optimizer: adamm}
report:
  sections:
    - title: R
      content:
        - curves: {runs: [a, b]}
        - confusion: {run: b}
        - weights: {run: c}
"""


def test_each_mistake_is_reported_once_and_nothing_else(tmp_path: Path) -> None:
    (tmp_path / "e.yaml").write_text(SPEC)
    with pytest.raises(SpecError) as info:
        load_spec(tmp_path / "e.yaml")
    where = [problem.split(": ")[0].split(":", 1)[1] + " " + problem.split(": ")[1] for problem in info.value.problems]
    assert where == ["4:20 training.epochs", "13:13 runs.c.sweep.model[7].units", "14:27 runs.c.training.optimizer"]
