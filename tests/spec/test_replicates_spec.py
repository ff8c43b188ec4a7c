"""Seed replicates in an experiment file: `seeds:` or `replicates:` at the top, on a run, on a sweep; one message per mistake."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reportgen.errors import SpecError
from reportgen.spec import load_spec

HEAD = """\
title: Seeds
datasets:
  d: {source: digits, flatten: true}
training: {epochs: 1, seed: 7}
"""
MODEL = "    model: [{Dense: {units: 10, activation: softmax}}]\n"


def _load(tmp_path: Path, text: str):
    (tmp_path / "e.yaml").write_text(text)
    return load_spec(tmp_path / "e.yaml")


def _errors(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(SpecError) as info:
        _load(tmp_path, text)
    return info.value.problems


def test_seeds_on_a_run_replicates_from_its_seed_and_top_level_defaults(tmp_path: Path) -> None:
    spec = _load(tmp_path, HEAD + "replicates: 2\nruns:\n  listed:\n    seeds: [0, 5, 9]\n" + MODEL
                 + "  counted:\n    replicates: 3\n" + MODEL + "  default:\n" + MODEL
                 + "  swept:\n    sweep: {training.epochs: [1, 2]}\n    seeds: [1, 2]\n" + MODEL)
    assert spec.runs["listed"].seeds == (0, 5, 9)
    assert spec.runs["counted"].seeds == (7, 8, 9)  # from training.seed
    assert spec.runs["default"].seeds == (7, 8)  # the file's replicates: 2
    assert spec.runs["swept[epochs=1]"].seeds == spec.runs["swept[epochs=2]"].seeds == (1, 2)


def test_a_replicate_is_the_run_with_its_seed_and_the_first_keeps_the_plain_runs_identity(tmp_path: Path) -> None:
    spec = _load(tmp_path, HEAD + "runs:\n  plain:\n" + MODEL + "  replicated:\n    replicates: 3\n" + MODEL)
    plain, replicated = spec.runs["plain"], spec.runs["replicated"]
    dataset = spec.datasets["d"]
    assert plain.replicate_seeds == (7,) and replicated.replicate_seeds == (7, 8, 9)
    assert replicated.replicate(7).canonical(dataset) == plain.canonical(dataset)  # same cache key as without seeds
    assert replicated.replicate(8).canonical(dataset)["training"]["seed"] == 8


@pytest.mark.parametrize(("extra", "message"), [
    ("    seeds: [1, 1]\n", r"runs.r.seeds: expected distinct seeds .* Received: 1 twice"),
    ("    seeds: []\n", r"runs.r.seeds: expected a non-empty list. Received: an empty list"),
    ("    seeds: [-1]\n", r"runs.r.seeds\[0\]: expected a non-negative integer. Received: -1"),
    ("    replicates: 0\n", r"runs.r.replicates: expected a positive integer. Received: 0"),
    ("    replicates: 3\n    seeds: [1, 2]\n", r"runs.r.replicates: expected `seeds: \[..\]` or `replicates: N`, not both"),
    ("    replicates: 100000\n", r"runs.r.replicates: .*limit runs"),
])
def test_mistakes_are_located_once(tmp_path: Path, extra: str, message: str) -> None:
    errors = _errors(tmp_path, HEAD + "runs:\n  r:\n" + extra + MODEL)
    assert len(errors) == 1, errors
    assert re.search(message, errors[0]), errors[0]


def test_a_bad_seed_list_on_a_sweep_is_said_once(tmp_path: Path) -> None:
    errors = _errors(tmp_path, HEAD + "runs:\n  r:\n    sweep: {training.epochs: [1, 2, 3]}\n    seeds: [x]\n" + MODEL)
    assert len(errors) == 1 and "runs.r.seeds[0]" in errors[0]


def test_runs_times_seeds_are_bounded(tmp_path: Path) -> None:
    errors = _errors(tmp_path, HEAD + "replicates: 300\nruns:\n  a:\n" + MODEL + "  b:\n" + MODEL)
    assert len(errors) == 1 and "runs.b" in errors[0] and "600 trainings up to this run" in errors[0], errors
