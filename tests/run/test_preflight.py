"""Pre-flight: every model is built on its data's shape, and each problem is reported at its layer, before anything trains."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reportgen.cli import main
from reportgen.errors import SpecError
from reportgen.run.preflight import check_models
from reportgen.spec import load_spec

HEAD = """\
title: t
datasets:
  flat: {source: digits, flatten: true}
  images: {source: digits}
training: {epochs: 1, batch_size: 256}
runs:
  ok:
    dataset: flat
    model: [{Dense: {units: 10, activation: softmax}}]
"""

# A valid file whose models cannot be built on the digits' 8x8x1 images and 10 classes.
MODELS = HEAD + """\
  conv_on_flat:
    dataset: flat
    model:
      - Dense: {units: 16}
      - Conv2D: {filters: 4, kernel_size: 3}
      - Flatten
      - Dense: {units: 10, activation: softmax}
  mismatch:
    dataset: images
    model:
      nodes:
        same: [{Conv2D: {filters: 4, kernel_size: 3, padding: same}}]
        valid: {inputs: input, layers: [{Conv2D: {filters: 4, kernel_size: 3}}]}
        join:
          inputs: [same, valid]
          layers:
            - Concatenate
            - Flatten
            - Dense: {units: 10, activation: softmax}
  wide:
    dataset: flat
    model:
      - Dense: {units: 32, activation: relu}
      - Dense: {units: 784, activation: sigmoid}
"""

# A file whose graphs are wrong in themselves: found when the file is read.
GRAPHS = HEAD + """\
  unknown:
    dataset: images
    model:
      nodes:
        stem: [{Conv2D: {filters: 4, kernel_size: 3}}]
        head: {inputs: stme, layers: [Flatten, {Dense: {units: 10, activation: softmax}}]}
  cycle:
    dataset: flat
    model:
      nodes:
        a: {inputs: [input, c], layers: [Add, {Dense: 64}]}
        b: [{Dense: 64}]
        c: [{Dense: 64}]
        head: {inputs: b, layers: [{Dense: {units: 10, activation: softmax}}]}
"""


def _at(text: str, needle: str, after: str) -> str:
    """LINE:COL (1-based) of the first needle that follows `after`."""
    index = text.index(needle, text.index(after))
    return f"{text.count(chr(10), 0, index) + 1}:{index - text.rfind(chr(10), 0, index)}"


# file -> [(needle at LINE:COL, the text it follows, YAML path, a fragment of the message)], in file order
EXPECTED = {
    "models": (MODELS, [
        ("Conv2D", "conv_on_flat:", "runs.conv_on_flat.model[1]", r"Conv2D cannot take input of shape \(None, 16\): .*expected min_ndim=4"),
        ("Concatenate", "mismatch:", "runs.mismatch.model.nodes.join.layers[0]",
         r"Concatenate cannot take input of shape \(None, 8, 8, 4\) and \(None, 6, 6, 4\)"),
        ("Dense: {units: 784", "wide:", "runs.wide.model[1]",
         r"expected an output of 10 units, one per class of the dataset \(for categorical_crossentropy\)\. Received: output shape \(None, 784\)"),
    ]),
    "graphs": (GRAPHS, [
        ("stme", "unknown:", "runs.unknown.model.nodes.head.inputs", r"unknown node 'stme'; known: input, stem\. Did you mean 'stem'\?"),
        ("[input, c]", "cycle:", "runs.cycle.model.nodes.a", r"expected a graph without cycles\. Received: a -> b -> c -> a"),
    ]),
}


def _write(tmp_path: Path, case: str) -> Path:
    file = tmp_path / f"{case}.yaml"
    file.write_text(EXPECTED[case][0])
    return file


def _assert_located(err: str, file: Path, case: str) -> None:
    """One line per problem, in file order, each FILE:LINE:COL: path: message at the layer it is about."""
    text, expected = EXPECTED[case]
    lines = err.strip().splitlines()
    assert "Traceback" not in err
    assert len(lines) == len(expected), err
    for line, (needle, after, path, fragment) in zip(lines, expected):
        pattern = rf"^(?:.*/)?{re.escape(file.name)}:{_at(text, needle, after)}: {re.escape(path)}: {fragment}"
        assert re.match(pattern, line), f"{pattern}\n{line}"


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_validate_reports_every_problem_at_its_layer(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = _write(tmp_path, case)
    assert main(["validate", str(file)]) == 2
    _assert_located(capsys.readouterr().err, file, case)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_report_stops_before_anything_trains(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = _write(tmp_path, case)
    cache = tmp_path / "cache"
    assert main(["report", str(file), "--out", str(tmp_path / "out"), "--cache", str(cache)]) == 2
    _assert_located(capsys.readouterr().err, file, case)
    assert list(cache.rglob("result.json")) == []  # not even the valid run listed first was trained
    assert not (tmp_path / "out").exists()


def test_validate_without_models_checks_the_file_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = _write(tmp_path, "models")
    assert main(["validate", "--no-models", str(file)]) == 0
    assert capsys.readouterr().out.strip() == f"{file}: ok (4 runs, 0 sections)"


def test_check_models_checks_only_the_runs_it_is_given(tmp_path: Path) -> None:
    spec = load_spec(_write(tmp_path, "models"))
    check_models(spec, ["ok"])  # the runs about to train; the others are not its business
    with pytest.raises(SpecError) as info:
        check_models(spec, ["ok", "wide"])
    assert len(info.value.problems) == 1 and "runs.wide.model[1]: expected an output of 10 units" in info.value.problems[0]


def test_a_layer_named_like_the_input_layers_is_a_located_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = HEAD.replace("activation: softmax}", "activation: softmax, name: scale}")
    file = tmp_path / "named.yaml"
    file.write_text(text)
    assert main(["validate", str(file)]) == 2
    err = capsys.readouterr().err
    line = _at(text, "Dense", "ok:").split(":")[0]
    assert re.match(rf"^(?:.*/)?named\.yaml:{line}:\d+: runs\.ok\.model\[0\]", err), err  # at the layer's line, whatever column


def test_an_autoencoder_written_as_a_classifier_is_stopped_before_training_with_a_hint(tmp_path: Path) -> None:
    """The issue's new user: an autoencoder in the classifier's schema used to die in TensorFlow with no position."""
    file = tmp_path / "ae.yaml"
    file.write_text(HEAD + "  ae:\n    dataset: images\n    model: [Flatten, {Dense: 16}, {Dense: {units: 64, activation: sigmoid}}, "
                           "{Reshape: [8, 8, 1]}]\n")
    with pytest.raises(SpecError) as info:
        check_models(load_spec(file))
    (problem,) = info.value.problems
    assert re.match(rf"{re.escape(str(file))}:\d+:\d+: runs.ae.model\[3\]: expected an output of 10 units", problem)
    assert problem.endswith("Received: output shape (None, 8, 8, 1); an autoencoder says `task: reconstruct`")
    file.write_text(file.read_text().replace("  ae:\n", "  ae:\n    task: reconstruct\n"))
    check_models(load_spec(file))  # the same model as an autoencoder builds


def test_a_batch_whose_widest_layer_would_not_fit_in_memory_is_refused_before_training(tmp_path: Path) -> None:
    """Under the per-image bound (33.6 M values), a huge batch still asks for 175 GB in one layer: refused from the shapes."""
    file = tmp_path / "mem.yaml"
    file.write_text(HEAD + "  big:\n    dataset: images\n    training: {batch_size: 1000000000}\n    model: [{Resizing: {height: 5700, "
                           "width: 5700}}, {Conv2D: {filters: 1, kernel_size: 1}}, GlobalAveragePooling2D, "
                           "{Dense: {units: 10, activation: softmax}}]\n")
    with pytest.raises(SpecError) as info:
        check_models(load_spec(file))
    assert info.value.problems == [
        "run 'big': training.batch_size: expected at most 1,073,741,824 values in one layer's output for one training batch "
        "(4 GiB in float32). Received: 32,490,000,000,000,000 (batch 1,000,000,000 x 32,490,000 values per image) "
        "(raise it with --limit batch_values=N or $REPORTGEN_LIMITS)"]


FIGURES = HEAD + """\
  mlp:
    dataset: flat
    model: [{Dense: {units: 16, activation: relu}}, {Dense: {units: 10, activation: softmax}}]
  conv:
    dataset: images
    model: [{Conv2D: {filters: 4, kernel_size: 3, name: conv1}}, {Activation: {activation: relu, name: act}}, Flatten,
            {Dense: {units: 10, activation: softmax}}]
report:
  sections:
    - title: Figures
      content:
        - weights: {run: ok}
        - weights: {run: mlp}
        - filters: {run: conv, layer: act}
        - filters: {run: conv, layer: conv1}
"""


def test_a_figure_its_run_cannot_give_is_found_before_training(tmp_path: Path) -> None:
    """A weights figure of an MLP (its first Dense layer is no one-unit-per-class classifier) or filters of a layer with no
    convolution kernel passed validate and failed after training; now each is a located line of validate."""
    (tmp_path / "f.yaml").write_text(FIGURES)
    with pytest.raises(SpecError) as caught:
        check_models(load_spec(tmp_path / "f.yaml"))
    problems = [p.replace(f"{tmp_path}/", "") for p in caught.value.problems]
    assert problems == [
        "f.yaml:22:11: report.sections[0].content[1].weights: the weights figure cannot be drawn for run 'mlp': its Dense layer "
        "'dense_1' has 16 units, not one per class (10)",
        "f.yaml:23:11: report.sections[0].content[2].filters: the filters figure cannot be drawn for run 'conv': layer 'act' has "
        "no 2-D convolution kernel"]
