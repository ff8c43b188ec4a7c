"""A run whose loss goes nan or inf fails: recorded and cached as failed, left out of `best`, shown as failed, and the
build exits non-zero with a summary; the other runs go on."""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
from pathlib import Path

import pytest

from reportgen.cli import main
from reportgen.report.context import best_sentence
from reportgen.report.tables import make_table
from reportgen.run.result import failure_of

# Plain SGD at lr=3 on a linear model with a squared error: the loss is ~1e30 after epoch 1 and overflows in epoch 2.
SPEC = """\
title: "Failing runs"
pw: "F1"
datasets:
  flat: {source: digits, flatten: true}
training: {epochs: 1, batch_size: 64, seed: 3}
runs:
  good:
    dataset: flat
    model: [{Dense: {units: 10, activation: softmax}}]
  bad:
    dataset: flat
    model: [{Dense: {units: 10, name: out}}]
    training: {optimizer: sgd, learning_rate: 3.0, loss: mean_squared_error, epochs: 2}
  child:
    dataset: flat
    from: {run: bad, layers: [out], trainable: true}
    model: [{Dense: {units: 10, activation: softmax, name: out}}]
  evalbad:
    dataset: flat
    model: [{Dense: {units: 10, activation: softmax}}]
    training: {seed: 4}
report:
  sections:
    - title: Results
      content:
        - table: {caption: Runs, columns: [run, params, epochs, train_accuracy, test_accuracy, test_loss]}
        - best: {runs: [good, bad, evalbad], metric: test_loss, text: "Lowest test loss: **{run}**, {value}."}
        - curves: {runs: [good, bad, child]}
        - confusion: {run: bad}
        - weights: {run: bad}
"""
NAN = "loss became (nan|inf) in epoch 2"


def _report(file: Path, out: Path, cache: Path, *extra: str) -> tuple[int, str]:
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        code = main(["report", str(file), "--out", str(out), "--cache", str(cache), *extra])
    return code, stderr.getvalue()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One build: `bad` goes inf in epoch 2, `child` starts from it, `evalbad` trains but scores nan at evaluation."""
    import reportgen.run.train as train

    tmp = tmp_path_factory.mktemp("failed")
    file = tmp / "failing.yaml"
    file.write_text(SPEC)
    real = train.scores

    def scores(model, x, y):  # a test loss that is nan though training went well
        got = real(model, x, y)
        return {**got, "loss": math.nan} if model.name == "evalbad" else got

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(train, "scores", scores)
        code, err = _report(file, tmp / "out", tmp / "cache")
    return {"tmp": tmp, "file": file, "code": code, "err": err,
            "results": json.loads((tmp / "out" / "results.json").read_text())}


def test_a_nan_run_is_recorded_failed_with_its_epoch_and_the_others_train(built: dict) -> None:
    runs = built["results"]["runs"]
    assert runs["good"]["status"] == "ok" and runs["good"]["metrics"]["test_accuracy"] > 0.1
    assert "failure" not in runs["good"]
    bad = runs["bad"]
    assert bad["status"] == "failed" and re.fullmatch(NAN, bad["failure"]), bad
    assert bad["metrics"] == {} and bad["epochs"] == 2  # training stopped in epoch 2 of 2
    assert runs["child"] == {**runs["child"], "status": "failed", "failure": "its parent 'bad' failed; not trained", "epochs": 0}
    assert runs["evalbad"]["status"] == "failed"
    assert runs["evalbad"]["failure"] == "test_loss became nan at evaluation after epoch 1"
    assert re.search(rf"failed  bad after [0-9.]+ s: {NAN}", built["err"])
    assert "failed  child: its parent 'bad' failed; not trained" in built["err"]


def test_the_build_writes_the_report_and_exits_non_zero_with_a_summary(built: dict) -> None:
    assert built["code"] == 1
    last = built["err"].strip().splitlines()[-1]
    assert re.fullmatch(rf"3 of 4 runs failed: bad \({NAN}\), child \(its parent 'bad' failed; not trained\), "
                        r"evalbad \(test_loss became nan at evaluation after epoch 1\)", last), last
    html = (built["tmp"] / "out" / "report.html").read_text()
    assert (built["tmp"] / "out" / "report.pdf").is_file()
    assert "Lowest test loss: <strong>good</strong>" in html  # best: never a failed run
    assert re.search(rf'<p class="note">bad failed: {NAN}</p>', html)
    row = re.search(r'<tr><td[^>]*><span class="run-name">bad</span></td>.*?</tr>', html, flags=re.S).group(0)
    assert row.count(">failed</td>") == 3  # train and test accuracy, test loss
    assert len(list((built["tmp"] / "out" / "figures").glob("*.png"))) == 3  # curves, and notes for confusion and weights


def test_a_rebuild_reads_the_failed_entries_from_the_cache(built: dict) -> None:
    tmp = built["tmp"]
    code, err = _report(built["file"], tmp / "again", tmp / "cache")  # no monkeypatch: evalbad would train well now
    assert code == 1 and "training" not in err and "cached  bad" in err
    runs = json.loads((tmp / "again" / "results.json").read_text())["runs"]
    assert all(run["from_cache"] for run in runs.values())
    assert {name: run["status"] for name, run in runs.items()} == {"good": "ok", "bad": "failed", "child": "failed", "evalbad": "failed"}
    assert runs == {name: {**run, "from_cache": True} for name, run in built["results"]["runs"].items()}
    code, err = _report(built["file"], tmp / "out", tmp / "cache")  # unchanged: up to date, still failed
    assert code == 1 and "up to date (4 runs cached)" in err and "3 of 4 runs failed: bad (" in err


def test_evaluation_failure_prefers_the_test_set_and_accepts_finite_scores() -> None:
    from reportgen.run.train import evaluation_failure  # imports Keras

    metrics = {"train_loss": math.inf, "train_accuracy": 0.5, "test_loss": math.nan, "test_accuracy": 0.5}
    assert evaluation_failure(metrics, 3) == "test_loss became nan at evaluation after epoch 3"
    assert evaluation_failure({**metrics, "test_loss": 1.0}, 3) == "train_loss became inf at evaluation after epoch 3"
    assert evaluation_failure({"train_loss": 1.0, "test_loss": 2.0}, 3) is None


def test_entries_cached_before_runs_could_fail_read_as_failed() -> None:
    assert failure_of({"metrics": {"test_loss": 1.0}, "history": {"loss": [2.0, 1.0]}}) is None
    assert failure_of({"metrics": {"test_loss": math.nan}, "history": {"loss": [2.0, math.nan]}}) == "loss became nan in epoch 2"
    assert failure_of({"metrics": {"test_loss": math.inf}, "history": {}}) == "test_loss became inf at evaluation"
    assert failure_of({"status": "failed", "failure": "loss became inf in epoch 1"}) == "loss became inf in epoch 1"


class _Result:
    def __init__(self, metrics: dict, failure: str | None = None):
        self.metrics, self.failure, self.params, self.epochs, self.seconds = metrics, failure, 10, 2, 1.0
        self.record = {"kind": "classify"}


def test_best_and_tables_leave_failed_runs_out_without_training(tmp_path: Path) -> None:
    from reportgen.spec import load_spec

    file = tmp_path / "failing.yaml"
    file.write_text(SPEC)
    spec = load_spec(file)
    results = {"good": _Result({"test_loss": 0.9, "test_accuracy": 0.8}),
               "bad": _Result({"test_loss": math.nan, "test_accuracy": 0.1}, "loss became nan in epoch 3")}
    options = {"runs": ["good", "bad"], "metric": "test_loss", "text": "{run}"}
    assert best_sentence(options, spec, results) == "good"
    assert "every one of them failed" in best_sentence({**options, "runs": ["bad"]}, spec, results)
    table = make_table(["good", "bad"], ["run", "params", "test_accuracy", "test_loss"], spec.runs, results)
    assert table["rows"] == [["good", "10", "80.0%", "0.9000"], ["bad", "10", "failed", "failed"]]
    assert table["notes"] == ["bad failed: loss became nan in epoch 3"]
    assert "notes" not in make_table(["good"], ["run"], spec.runs, results)


def test_figures_of_a_failed_run_are_notes_and_curves_show_it_up_to_the_failure() -> None:
    from matplotlib.figure import Figure

    from reportgen.figures import FIGURES

    class Failed:
        name, failure, arrays, layers = "bad", "loss became nan in epoch 3", {}, []
        history = {"loss": [2.0, 1e30, math.nan], "accuracy": [0.1, 0.1, 0.1]}
        record = {"input_shape": [8, 8, 1]}
        dataset = {"classes": list("0123456789")}

    class Unstarted(Failed):
        name, failure, history = "child", "its parent 'bad' failed; not trained", {}

    results = {"bad": Failed(), "child": Unstarted()}
    for kind, options in [("confusion", {"run": "bad"}), ("weights", {"run": "bad"}), ("filters", {"run": "bad", "layer": "c"}),
                          ("activations", {"run": "bad", "layers": ["c"]}), ("codes", {"run": "bad"}),
                          ("reconstructions", {"runs": ["bad"]}), ("curves", {"runs": ["child"]})]:
        fig = FIGURES.get(kind)({"kind": kind, **options}, results)
        texts = [t.get_text() for t in fig.texts]
        assert isinstance(fig, Figure) and len(texts) == 1 and "failed (" in texts[0], (kind, texts)
    assert b"No diagram: run 'bad' failed (loss became nan in epoch 3)." in FIGURES.get("diagram")({"run": "bad"}, results)
    fig = FIGURES.get("curves")({"runs": ["bad", "child"]}, results)
    assert [t.get_text() for t in fig.texts] == ["Not shown: child failed (its parent 'bad' failed; not trained)."]
    assert "bad (failed)" in [t.get_text() for t in fig.legends[0].get_texts()]


def test_an_estimator_on_features_that_overflowed_is_a_failed_run_not_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    from reportgen.data import load
    from reportgen.run import estimator as estimator_module
    from reportgen.run.job import Job
    from reportgen.spec import load_spec

    (tmp_path / "e.yaml").write_text("title: t\ndatasets:\n  d: {source: digits, flatten: true}\nruns:\n  svm: {estimator: GaussianNB}\n")
    spec = load_spec(tmp_path / "e.yaml")
    data = load("digits", spec.datasets["d"].options)
    nan = np.full((len(data.x_train), 4), np.nan, dtype=np.float32)
    monkeypatch.setattr(estimator_module, "features_of", lambda job: (nan, nan[: len(data.x_test)], "run 'p', layer 'big'"))
    record, arrays, model = estimator_module.fit_estimator(Job(spec.runs["svm"], spec.datasets["d"], data, lambda event: None, tmp_path))
    assert record["status"] == "failed" and "nan or inf" in record["failure"] and failure_of(record) and arrays == {} and model is None
