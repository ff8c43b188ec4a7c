"""The dict the report template receives for the demo, snapshotted: what a grader reads, from fixed stand-in results."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from reportgen.report.context import build_context
from reportgen.report.html import render_html
from reportgen.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]
BUILT = "2026-01-01T00:00:00+00:00"


@dataclass
class Result:
    """Stands in for run.RunResult with fixed numbers (a run's or one seed replicate's)."""

    name: str
    seed: int
    correct: tuple[int, int]  # (train, test) images classified right
    params: int
    epochs: int
    seconds: float
    key: str
    layers: list = field(default_factory=list)
    replicates: tuple = ()
    from_cache: bool = True
    origin: str = "sealed on this machine"
    failure: None = None
    failed: bool = False
    record: dict = field(default_factory=lambda: {"manifest": {"backend": "tensorflow", "keras": "3.x", "devices": ["CPU:0"]}})
    dataset: dict = field(default_factory=lambda: {
        "source": "digits", "origin": "scikit-learn bundled 8x8 digits", "fingerprint": "f" * 64, "n_train": 1213, "n_val": 135,
        "n_test": 449, "n_train_full": 1348, "n_test_full": 449, "shape": [8, 8, 1], "classes": [str(d) for d in range(10)]})

    @property
    def metrics(self) -> dict[str, Any]:
        train, test = self.correct
        return {"train_correct": train, "train_total": 1213, "test_correct": test, "test_total": 449,
                "train_accuracy": train / 1213, "test_accuracy": test / 449, "train_loss": 0.1 + (1213 - train) / 1000,
                "test_loss": 0.12 + (449 - test) / 400}


def _layers(i: int) -> list[dict[str, Any]]:
    return [{"name": "dense_1", "kind": "Dense", "output_shape": [10], "weights": 640 * (i + 1), "biases": 10, "params": 640 * (i + 1) + 10}]


def _results(spec) -> dict[str, Result]:
    results = {}
    for i, (name, run) in enumerate(spec.runs.items()):
        seeds = run.replicate_seeds
        replicates = tuple(Result(name, seed, (1100 + 10 * i + 7 * j, 420 + i + 3 * j * (-1) ** j), 650 + 100 * i,
                                  run.training.epochs - j, 5.0 + i + j / 2, f"{i:02d}{j:062x}", _layers(i))
                           for j, seed in enumerate(seeds))
        first = replicates[0]
        results[name] = Result(name, first.seed, first.correct, first.params, first.epochs, first.seconds, first.key, first.layers,
                               replicates if len(replicates) > 1 else ())
    return results


def _plain(value: Any) -> Any:
    """Markup as its text, containers as lists and dicts: what the snapshot shows is what the template prints."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value) if isinstance(value, str) else value


def test_demo_context_snapshot(snapshot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the file as the context shows it: experiments/demo.yaml, relative to the working folder
    spec = load_spec(ROOT / "experiments" / "demo.yaml")
    assert [len(run.replicate_seeds) for run in spec.runs.values()] == [1, 3, 3, 1, 1]
    context = build_context(spec, _results(spec), BUILT)
    assert _plain(context) == snapshot


def test_demo_context_says_what_the_seeds_give() -> None:
    spec = load_spec(ROOT / "experiments" / "demo.yaml")
    context = build_context(spec, _results(spec), BUILT)
    table = context["sections"][0]["blocks"][1]
    assert table["kind"] == "table" and table["rows"][1][-1].count("±") == 1
    assert any("mlp[units=32]: seeds 1, 2, 3" in note for note in table["notes"])
    best = context["sections"][0]["blocks"][2]["html"]
    assert "mean ± std over 3 seeds" in best


def test_the_footer_names_the_experiment_file_as_the_user_gave_it(tmp_path: Path) -> None:
    """A file outside experiments/ is not 'experiments/NAME.yaml' (the path as spec.file shows it, absolute here)."""
    folder = tmp_path / "x"
    (folder / "answers").mkdir(parents=True)
    (folder / "my.yaml").write_text((ROOT / "experiments" / "demo.yaml").read_text())
    (folder / "answers" / "demo.md").write_text((ROOT / "experiments" / "answers" / "demo.md").read_text())
    spec = load_spec(folder / "my.yaml")
    html = render_html(build_context(spec, _results(spec), BUILT))
    assert spec.file == str((folder / "my.yaml").resolve())
    assert f"by reportgen from <code>{spec.file}</code>." in html and "experiments/" not in html
