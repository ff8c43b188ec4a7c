"""How a report reads seed replicates: `best` compares means and says when the order is within one std; curves draw a band."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from matplotlib.collections import PolyCollection

from reportgen.figures import FIGURES
from reportgen.report.context import best_sentence
from reportgen.report.tables import make_table
from reportgen.spec import load_spec

SPEC = """\
title: t
datasets:
  d: {source: digits, flatten: true}
runs:
  a:
    seeds: [0, 1, 2]
    model: [{Dense: {units: 10, activation: softmax}}]
  b:
    seeds: [0, 1, 2]
    model: [{Dense: {units: 20, activation: softmax}}]
  c:
    model: [{Dense: {units: 30, activation: softmax}}]
"""


@dataclass
class Replicate:
    name: str
    seed: int
    correct: int
    epochs: int = 5
    history: dict = field(default_factory=dict)
    record: dict = field(default_factory=dict)
    dataset: dict = field(default_factory=lambda: {"n_test": 1000})
    params: int = 100
    seconds: float = 1.0
    failure: None = None
    failed: bool = False

    @property
    def metrics(self) -> dict:
        return {"test_correct": self.correct, "test_total": 1000, "test_accuracy": self.correct / 1000, "test_loss": 1 - self.correct / 1000}


@dataclass
class Run(Replicate):
    replicates: tuple = ()


def _run(name: str, corrects: list[int], epochs: list[int] | None = None) -> Run:
    reps = tuple(Replicate(name, seed, c, (epochs or [5] * len(corrects))[seed],
                           history={"loss": [1.0 - 0.01 * c / 10 * e for e in (1, 2, 3)], "accuracy": [c / 1000] * 3})
                 for seed, c in enumerate(corrects))
    first = reps[0]
    return Run(name, 0, first.correct, first.epochs, first.history, replicates=reps if len(reps) > 1 else ())


def _spec(tmp_path: Path):
    (tmp_path / "e.yaml").write_text(SPEC)
    return load_spec(tmp_path / "e.yaml")


def test_best_compares_means_and_says_when_the_runner_up_is_within_one_std(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    options = {"runs": ["a", "b", "c"], "metric": "test_accuracy", "text": "Best: {run}, {value}."}
    close = {"a": _run("a", [900, 880, 860]), "b": _run("b", [905, 870, 875]), "c": _run("c", [850])}
    sentence = best_sentence(options, spec, close)
    # means 88.00 and 88.33: b is best; the gap (0.33) is below the larger std (2.00)
    shown = sentence.replace("\\", "")  # the filled-in values are Markdown-escaped
    assert shown.startswith("Best: b, 88.33 ± 1.89% (mean ± std over 3 seeds).")
    assert "b is within one standard deviation of the runner-up, a (88.00 ± 2.00%): over these seeds" in shown
    apart = {"a": _run("a", [900, 901, 902]), "b": _run("b", [800, 801, 802]), "c": _run("c", [850])}
    sentence = best_sentence(options, spec, apart)
    assert sentence.replace("\\", "") == "Best: a, 90.10 ± 0.10% (mean ± std over 3 seeds)."


def test_a_table_shows_mean_and_std_over_the_seeds_and_a_range_of_epochs(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    results = {"a": _run("a", [900, 880, 861], epochs=[5, 3, 4]), "b": _run("b", [905, 870, 875]), "c": _run("c", [850])}
    table = make_table(["a", "b", "c"], ["run", "test_accuracy", "epochs"], spec.runs, results)
    values = np.array([90.0, 88.0, 86.1])
    assert table["rows"][0] == ["a", f"{values.mean():.2f} ± {values.std(ddof=1):.2f}", "3–5"]
    assert table["rows"][2] == ["c", "85.0%", "5"]
    assert any("a: seeds 0, 1, 2; b: seeds 0, 1, 2" in note and "a – b: the lowest and the highest" in note for note in table["notes"])


def test_curves_of_replicated_runs_are_means_with_a_band(tmp_path: Path) -> None:
    results = {"a": _run("a", [900, 880, 860]), "c": _run("c", [850])}
    fig = FIGURES.get("curves")({"kind": "curves", "runs": ["a", "c"]}, results)
    loss = fig.axes[0]
    assert len([c for c in loss.collections if isinstance(c, PolyCollection)]) == 1  # a's band; c has none
    line = next(line for line in loss.get_lines() if line.get_label() == "a (mean of 3 seeds)")
    assert np.allclose(line.get_ydata(), np.mean([r.history["loss"] for r in results["a"].replicates], axis=0))
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "band: ± 1 std over seeds" in legend
