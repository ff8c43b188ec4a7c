"""The convolution exercise in an experiment file: good input read, bad input located on one line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reportgen.errors import SpecError
from reportgen.spec import load_spec

HEAD = """\
title: t
datasets: {d: {source: digits}}
runs: {a: {model: [Flatten, {Dense: 10}]}}
convolution:
"""
GOOD_1D = "  conv1d: {input: [1, 2, 3, 4], kernel: [1, -1], bias: 0.5}\n"
GOOD_2D = """\
  conv2d:
    input: [[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]
    filters: [{weights: [[[1, 0], [0, 1]]], bias: 1}]
"""


def _load(tmp_path: Path, body: str):
    file = tmp_path / "c.yaml"
    file.write_text(HEAD + body)
    return load_spec(file)


def _error(tmp_path: Path, body: str) -> str:
    with pytest.raises(SpecError) as info:
        _load(tmp_path, body)
    assert len(info.value.problems) == 1, info.value.problems
    return info.value.problems[0]


def test_sheet_cases_are_the_default(tmp_path: Path) -> None:
    spec = _load(tmp_path, GOOD_1D + GOOD_2D).convolution
    assert spec.conv1d.cases == ((1, 0), (2, 0), (4, 0), (1, 1), (4, 1))
    assert spec.conv1d.bias == 0.5
    assert spec.conv2d.sizes == ((1, 0), (2, 0)) and spec.conv2d.values == (1, 0)
    assert spec.conv2d.biases == (1,)


@pytest.mark.parametrize(
    ("body", "where", "message"),
    [
        ("  conv1d: {input: [1, 2], kernel: [1, 1, 1], cases: [{stride: 1, padding: 0}]}\n", "5:53",
         "conv1d.cases: expected a kernel that fits the padded input. Received: kernel 3 on a padded input of 2"),
        ("  conv1d: {input: [1, 2, 3], kernel: [1], cases: [{stride: 0, padding: 0}]}\n", "5:60",
         "conv1d.cases[0].stride: expected a positive integer. Received: 0"),
        ("  conv1d: {input: [1, two, 3], kernel: [1]}\n", "5:23", "conv1d.input[1]: expected a number. Received: 'two'"),
        (GOOD_2D.replace("[4, 5, 6]", "[4, 5]"), "6:25", "conv2d.input[0][1]: expected a row of 3 numbers like row 0. Received: 2 (ragged grid)"),
        (GOOD_2D.replace("weights: [[[1, 0], [0, 1]]]", "weights: [[[1, 0], [0, 1]], [[1, 0], [0, 1]]]"), "7:25",
         "conv2d.filters[0].weights: expected 1 channels like the input. Received: 2"),
        (GOOD_2D.replace("values", "x") + "    values: {stride: 1, padding: -1}\n", "8:34",
         "conv2d.values.padding: expected a non-negative integer. Received: -1"),
        ("  conv3d: {}\n", "5:3", "convolution.conv3d: unknown key 'conv3d'; expected one of: conv1d, conv2d. Did you mean 'conv2d'?"),
    ],
)
def test_bad_exercise_input_is_one_located_line(tmp_path: Path, body: str, where: str, message: str) -> None:
    problem = _error(tmp_path, body)
    match = re.match(r"^.*c\.yaml:(\d+:\d+): (.*)$", problem)
    assert match, problem
    assert match.group(1) == where, problem
    assert message in match.group(2), problem


def test_convolution_block_needs_the_exercise(tmp_path: Path) -> None:
    body = GOOD_1D.replace("  conv1d", "  conv1d") + "report:\n  sections:\n    - title: s\n      content: [{convolution: {}}]\n"
    assert _load(tmp_path, body).sections[0].blocks[0].kind == "convolution"
    file = tmp_path / "n.yaml"
    file.write_text(HEAD.replace("convolution:\n", "") + "report:\n  sections:\n    - title: s\n      content: [{convolution: {}}]\n")
    with pytest.raises(SpecError, match="expected a top-level 'convolution' key to show"):
        load_spec(file)
