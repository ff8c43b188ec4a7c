"""What a new user writes from the README in their first hour: plausible YAML reads (or is one located message), one
mistake is one message, and the gaps they hit (`run: best`, `{choice}`, Keras' optimizer names, a workbook-only sheet,
a dataset's own subset) work."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportgen.errors import SpecError
from reportgen.report import render_html
from reportgen.report.context import build_context
from reportgen.spec import load_spec

HEAD = """\
title: "First hour"
datasets:
  digits: {source: digits}
training: {epochs: 1}
runs:
  cnn:
    dataset: digits
    model: [{Conv2D: {filters: 4, kernel_size: 3, name: conv1}}, Flatten, {Dense: {units: 10, activation: softmax}}]
  mlp:
    dataset: digits
    model: [Flatten, {Dense: {units: 16, activation: relu}}, {Dense: {units: 10, activation: softmax}}]
    sweep:
      model[1].units: [8, 32]
  ae:
    task: reconstruct
    code: code
    dataset: digits
    model: [Flatten, {Dense: {units: 4, activation: relu, name: code}}, {Dense: {units: 64, activation: sigmoid}}, {Reshape: [8, 8, 1]}]
"""


def _spec(tmp_path: Path, text: str, name: str = "x.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return load_spec(path)


def _problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        _spec(tmp_path, text)
    return [p.replace(f"{tmp_path}/", "") for p in caught.value.problems]


def _report(content: str, sections: str = "") -> str:
    return HEAD + f"report:\n  sections:\n    - title: Results\n      content:\n{content}{sections}"


def _rendered(spec) -> str:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "report"))
    from test_blocks_property import _results

    return render_html(build_context(spec, _results(spec), "2026-01-01T00:00:00+00:00"))


def test_reconstructions_of_one_run_is_read_as_runs(tmp_path: Path) -> None:
    spec = _spec(tmp_path, _report("        - reconstructions: {run: ae}\n"))
    block = spec.sections[0].blocks[0]
    assert block.options["runs"] == ["ae"] and "Test images (top row) and their reconstructions by ae" in _rendered(spec)
    assert _spec(tmp_path, _report("        - curves: {runs: cnn}\n")).sections[0].blocks[0].options["runs"] == ["cnn"]


def test_a_figure_without_its_run_is_one_located_message(tmp_path: Path) -> None:
    assert _problems(tmp_path, _report("        - reconstructions: {images: 4}\n")) == [
        "x.yaml:23:28: report.sections[0].content[0].reconstructions: missing required key 'runs'"]


@pytest.mark.parametrize("part", ["conv1d", "conv2d"])
def test_a_convolution_exercise_of_one_part_renders(tmp_path: Path, part: str) -> None:
    parts = {"conv1d": "  conv1d: {input: [1, 2, 3, 4], kernel: [1, -1]}\n",
             "conv2d": "  conv2d: {input: [[[1, 2, 3], [4, 5, 6], [7, 8, 9]]], filters: [{weights: [[[1, 0], [0, 1]]], bias: 1}]}\n"}
    spec = _spec(tmp_path, _report("        - convolution: {}\n").replace("runs:\n", f"convolution:\n{parts[part]}runs:\n", 1))
    html = _rendered(spec)
    assert ("1D convolution for each stride" in html) == (part == "conv1d") and ("2D input volume 3 x 3 x 1" in html) == (part == "conv2d")


def test_a_sheet_with_only_a_convolution_exercise_needs_no_runs(tmp_path: Path) -> None:
    spec = _spec(tmp_path, 'title: "PW04 exercise 1"\nconvolution:\n  conv1d: {input: [1, 2, 3, 4, 5], kernel: [1, 0, -1]}\n'
                           "report:\n  sections:\n    - title: Convolutions\n      content: [{convolution: {}}]\n")
    assert spec.runs == {} and spec.datasets == {} and "nothing was trained" in _rendered(spec)
    assert _problems(tmp_path, 'title: "Nothing"\n') == [
        "x.yaml:1:1: missing required key 'runs' (or a `convolution:` exercise, for a file with nothing to train)",
        "x.yaml:1:1: missing required key 'datasets'"]


def test_a_section_with_a_wrong_block_is_still_a_section(tmp_path: Path) -> None:
    text = _report("        - table: {columns: [run, acuracy]}\n", "    - title: Later\n      content: [{table: {}}]\n")
    text += 'grading:\n  sections: ["Results", "Later"]\n'
    problems = _problems(tmp_path, text)
    assert len(problems) == 1 and "unknown column 'acuracy'" in problems[0]  # not also 'unknown section title'


def test_the_list_of_known_layers_is_printed_once(tmp_path: Path) -> None:
    text = HEAD.replace("Flatten, {Dense: {units: 10", "Flaten, {Dens: {units: 10").replace("[Flatten, {Dense: {units: 16", "[Flatn, {Dense: {units: 16")
    problems = _problems(tmp_path, text)
    assert len(problems) == 3 and problems[0].count("Conv2D") == 1 and "known: Dense, Conv1D, Conv2D" in problems[0]
    assert all("known: as listed at line 8." in p and "Conv2D" not in p for p in problems[1:])
    assert "Did you mean 'Dense'?" in problems[1] and "Did you mean 'Flatten'?" in problems[2]


def test_run_best_shows_the_best_run_and_says_so(tmp_path: Path) -> None:
    spec = _spec(tmp_path, _report('        - best: {runs: [mlp], text: "Best width: {choice}."}\n'
                                   "        - confusion: {run: best}\n"
                                   "        - table: {runs: [cnn, ae]}\n"
                                   "        - diagram: {run: best}\n"))
    confusion, diagram = spec.sections[0].blocks[1].options, spec.sections[0].blocks[3].options
    assert confusion["run"] == "best" and confusion["best_of"] == {"runs": ["mlp[units=8]", "mlp[units=32]"], "metric": "test_accuracy"}
    assert diagram["best_of"] == {"runs": ["cnn", "ae"], "metric": "test_accuracy"}
    html = _rendered(spec)  # the stand-in results make the later run of each pair the better
    assert "Best width: 32." in html
    assert "Confusion matrix of mlp[units=32] on the test set" in html
    assert "mlp[units=32] is the best by test accuracy (45.0%) of mlp[units=8] and mlp[units=32]." in html


def test_run_best_needs_a_best_or_table_block_before_it(tmp_path: Path) -> None:
    problems = _problems(tmp_path, _report("        - confusion: {run: best}\n"))
    assert problems == ["x.yaml:23:28: report.sections[0].content[0].confusion.run: expected a `best:` or `table:` block before this "
                        "figure in its section, whose runs `run: best` chooses from. Received: none"]
    problems = _problems(tmp_path, _report("        - best: {runs: [ae]}\n        - confusion: {run: best}\n"))
    assert "expected runs that confusion can show (classify or estimator runs) among those of the best block" in problems[0]


def test_a_best_block_by_a_metric_its_runs_do_not_report_is_refused_before_training(tmp_path: Path) -> None:
    problems = _problems(tmp_path, _report("        - best: {runs: [cnn, ae], metric: test_accuracy}\n"))
    assert problems == ["x.yaml:23:43: report.sections[0].content[0].best.metric: expected runs that report test_accuracy. Received: "
                        "'ae', a reconstruct run (it reports test_loss, test_mse, test_psnr)"]
    assert _spec(tmp_path, _report("        - best: {runs: [ae]}\n")).sections[0].blocks[0].options["metric"] == "test_mse"


@pytest.mark.parametrize("written, name", [("SGD", "sgd"), ("{SGD: {momentum: 0.9, nesterov: true}}", "sgd"), ("Adam", "adam"),
                                           ("RMSprop", "rmsprop")])
def test_optimizers_as_keras_names_them(tmp_path: Path, written: str, name: str) -> None:
    spec = _spec(tmp_path, HEAD.replace("training: {epochs: 1}", f"training: {{epochs: 1, optimizer: {written}}}") + "report: {sections: []}\n")
    plain = _spec(tmp_path, HEAD.replace("training: {epochs: 1}", f"training: {{epochs: 1, optimizer: {written.replace('SGD', 'sgd').replace('Adam', 'adam').replace('RMSprop', 'rmsprop')}}}")
                  + "report: {sections: []}\n", "y.yaml")
    run = spec.runs["cnn"]
    assert run.training.optimizer == name and run.canonical(spec.datasets["digits"]) == plain.runs["cnn"].canonical(plain.datasets["digits"])


def test_a_dataset_subset_is_every_runs_and_quick_cuts_it_further(tmp_path: Path) -> None:
    spec = _spec(tmp_path, HEAD.replace("digits: {source: digits}", "digits: {source: digits, subset: {train: 300, test: 100}}")
                 + "quick: {train: 200, test: 500, epochs: 1}\nreport: {sections: []}\n")
    assert {run.subset for run in spec.runs.values()} == {(300, 100)}
    assert {run.subset for run in spec.with_profile("quick").runs.values()} == {(200, 100)}
    problems = _problems(tmp_path, HEAD.replace("digits: {source: digits}", "digits: {source: digits, subset: {train: 0}}")
                         + "report: {sections: []}\n")
    assert problems == ["x.yaml:3:36: datasets.digits.subset: missing required key 'test'"]


def test_a_callback_watching_a_number_never_logged_is_refused(tmp_path: Path) -> None:
    text = HEAD.replace("training: {epochs: 1}", "training: {epochs: 1, callbacks: [{EarlyStopping: {monitor: val_acc}}, "
                                                 "{ModelCheckpoint: {monitor: val_mse}}]}") + "report: {sections: []}\n"
    problems = _problems(tmp_path, text)
    assert problems[0] == ("x.yaml:4:72: training.callbacks[1].ModelCheckpoint.monitor: expected a number the training logs: loss, "
                           "accuracy, val_loss, val_accuracy. Received: 'val_mse'")
    fixed = _spec(tmp_path, text.replace("{ModelCheckpoint: {monitor: val_mse}}", "{ModelCheckpoint: {monitor: val_loss}}"))
    assert fixed.runs["cnn"].training.callbacks[0].args["monitor"] == "val_accuracy"  # Keras' short name, read as the full one
    none = HEAD.replace("training: {epochs: 1}", "training: {epochs: 1, validation: none, callbacks: [EarlyStopping]}")
    assert "nothing is validated on (validation: none). Received: 'val_loss' (Keras' default for EarlyStopping)" in \
        _problems(tmp_path, none + "report: {sections: []}\n")[0]


def test_a_wrong_sweep_does_not_make_its_variants_unknown_elsewhere(tmp_path: Path) -> None:
    text = _report('        - best: {runs: [mlp], text: "{choice}"}\n        - weights: {run: "mlp[units=8]"}\n'
                   "        - confusion: {run: best}\n").replace("model[1].units: [8, 32]", "model[5].units: [8, 32]")
    problems = _problems(tmp_path, text)
    assert len(problems) == 1 and "runs.mlp.sweep" in problems[0], problems


def test_an_unquoted_date_is_a_date(tmp_path: Path) -> None:
    assert _spec(tmp_path, HEAD.replace('title: "First hour"', 'title: "First hour"\ndate: 2024-03-01') +
                 "report: {sections: []}\n").date == "2024-03-01"


def test_an_optimizers_arguments_are_in_its_cell_and_said_once_in_a_caption(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "report"))
    from test_tables import fake_results

    from reportgen.report import make_table
    from reportgen.report.tables import shared_caption

    spec = _spec(tmp_path, HEAD.replace("training: {epochs: 1}", "training: {epochs: 1, learning_rate: 0.05, optimizer: "
                                                                 "{SGD: {momentum: 0.9}}}") + "report: {sections: []}\n")
    table = make_table(["cnn", "mlp[units=8]"], ["run", "hyperparameters", "optimizer", "epochs"], spec.runs, fake_results(spec),
                       shared=True)
    caption = shared_caption("Runs.", table["shared"])
    assert caption.count("sgd(momentum=0.9) lr=0.05") == 1 and "sgd lr" not in caption, caption
    assert "; 1 epoch;" in caption and "1 epochs" not in caption
