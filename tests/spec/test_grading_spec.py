"""The `grading:` block: defaults, names checked against the file's runs and sections, every mistake located at once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reportgen.errors import SpecError
from reportgen.spec import load_spec
from reportgen.spec.grading import FigureRequirement, GradingSpec, LeaderboardSpec

ROOT = Path(__file__).resolve().parents[2]
HEAD = """\
title: Graded
datasets:
  d: {source: digits, flatten: true}
training: {epochs: 1, seed: 7}
runs:
  dense1:
    model: [{Dense: {units: 10, activation: softmax}}]
  mlp:
    model: [{Dense: {units: 32, activation: relu}}, {Dense: {units: 10, activation: softmax}}]
    sweep:
      model[0].units: [32, 64]
report:
  sections:
    - title: Dense networks
      content: [{weights: {run: dense1}}]
"""


def _load(tmp_path: Path, grading: str):
    (tmp_path / "e.yaml").write_text(HEAD + grading)
    return load_spec(tmp_path / "e.yaml")


def test_a_full_block_reads_into_a_grading_spec(tmp_path: Path) -> None:
    spec = _load(tmp_path, """\
grading:
  runs: [dense1, "mlp[units=32]", mlp]
  metrics: [test_accuracy, train_loss]
  tolerance: {test_accuracy: 0.005}
  k: 3
  sections: ["dense NETWORKS"]
  figures: [{kind: weights, run: dense1}, {kind: confusion}]
  leaderboard: {run: "mlp[units=64]"}
""")
    assert spec.grading == GradingSpec(runs=("dense1", "mlp[units=32]", "mlp"), metrics=("test_accuracy", "train_loss"),
                                       tolerance={"test_accuracy": 0.005}, k=3.0, sections=("dense NETWORKS",),
                                       figures=(FigureRequirement("weights", "dense1"), FigureRequirement("confusion")),
                                       leaderboard=LeaderboardSpec("mlp[units=64]", "test_accuracy"))
    assert spec.grading.tolerance_of("test_accuracy") == 0.005 and spec.grading.tolerance_of("train_loss") == 0.0
    assert [f.label() for f in spec.grading.figures] == ["weights of dense1", "confusion"]


def test_defaults_and_no_block(tmp_path: Path) -> None:
    assert _load(tmp_path, "").grading is None
    grading = _load(tmp_path, "grading: {}\n").grading
    assert grading == GradingSpec() and grading.metrics == ("test_accuracy",) and grading.k == 2.0 and not grading.runs


def test_every_mistake_is_reported_at_its_line(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as info:
        _load(tmp_path, """\
grading:
  runs: [dense1, dense2]
  metrics: [test_acuracy]
  tolerance: {test_accuracy: -1}
  k: many
  sections: ["Convolutional networks"]
  figures: [{kind: weight}, {run: dense1}]
  leaderboard: {run: "mlp[units=16]", metric: test_accuracy}
  extra: 1
""")
    problems = info.value.problems
    expected = [
        (17, r"grading\.runs\[1\]: unknown run 'dense2'; known: dense1, mlp\[units=32\], mlp\[units=64\], mlp"),
        (18, r"grading\.metrics\[0\]: unknown metric 'test_acuracy'.*Did you mean 'test_accuracy'"),
        (19, r"grading\.tolerance\.test_accuracy: expected a number >= 0\. Received: -1"),
        (20, r"grading\.k: expected a number >= 0\. Received: 'many'"),
        (21, r"grading\.sections\[0\]: unknown section title of this file 'Convolutional networks'; known: Dense networks"),
        (22, r"grading\.figures\[0\]\.kind: unknown figure kind 'weight'"),
        (22, r"grading\.figures\[1\]: missing required key 'kind'"),
        (23, r"grading\.leaderboard\.run: unknown run 'mlp\[units=16\]'"),
        (24, r"grading\.extra: unknown key 'extra'"),
    ]
    assert len(problems) == len(expected), problems
    for (line, pattern), problem in zip(expected, problems):
        assert re.search(rf"e\.yaml:{line}:\d+: {pattern}", problem), problem


def test_the_shipped_experiments_declare_what_their_graders_check() -> None:
    demo = load_spec(ROOT / "experiments" / "demo.yaml").grading
    assert demo.runs == ("dense1", "mlp", "cnn", "cnn_bn") and demo.leaderboard == LeaderboardSpec("cnn_bn", "test_accuracy")
    pw04 = load_spec(ROOT / "experiments" / "pw04.yaml").grading
    assert "cnn4" in pw04.runs and FigureRequirement("weights", "dense1") in pw04.figures and len(pw04.sections) == 4
