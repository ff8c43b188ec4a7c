"""Every report block that `validate` accepts renders (hypothesis): block configurations drawn from the catalogue, right
and wrong, each either refused as located lines or rendered into the report's HTML on stand-in results; never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from test_tables import FakeResult, fake_results

from reportgen.errors import SpecError
from reportgen.report import render_html
from reportgen.report.context import build_context
from reportgen.spec import catalog, load_spec

HEAD = """\
title: "Blocks"
datasets:
  digits: {source: digits}
  flat: {source: digits, flatten: true}
training: {epochs: 1}
%(convolution)s
runs:
  cnn:
    dataset: digits
    model: [{Conv2D: {filters: 4, kernel_size: 3, name: conv1}}, {Activation: {activation: relu, name: relu1}}, Flatten,
            {Dense: {units: 10, activation: softmax, name: out}}]
  mlp:
    dataset: flat
    model: [{Dense: {units: 16, activation: relu, name: hidden}}, {Dense: {units: 10, activation: softmax}}]
    sweep:
      model[0].units: [8, 16]
  ae:
    task: reconstruct
    code: code
    dataset: digits
    model: [Flatten, {Dense: {units: 4, activation: relu, name: code}}, {Dense: {units: 64, activation: sigmoid}},
            {Reshape: [8, 8, 1]}]
  svm: {estimator: SVC, features: {run: ae}, dataset: digits}
report:
  sections:
    - title: "Only section"
      content: %(content)s
"""
CONVOLUTIONS = {
    "none": "",
    "1d": "convolution:\n  conv1d: {input: [1, 2, 3, 4], kernel: [1, -1]}",
    "2d": "convolution:\n  conv2d: {input: [[[1, 2, 3], [4, 5, 6], [7, 8, 9]]], filters: [{weights: [[[1, 0], [0, 1]]], bias: 1}]}",
    "both": "convolution:\n  conv1d: {input: [1, 2, 3, 4], kernel: [1, -1]}\n"
            "  conv2d: {input: [[[1, 2, 3], [4, 5, 6], [7, 8, 9]]], filters: [{weights: [[[1, 0], [0, 1]]], bias: 1}]}",
}
RUNS = ["cnn", "mlp", "mlp[units=8]", "ae", "svm", "best"]
LAYERS = ["conv1", "relu1", "out", "hidden", "code"]


def mostly(right: list, wrong: list) -> st.SearchStrategy:
    """Right values seven times in eight: many configurations get past validation, and those are the ones that render."""
    return st.integers(0, 7).flatmap(lambda i: st.sampled_from(right if i else wrong))


ARG_VALUES = {  # what each argument kind of the catalogue may be given: right values and plausible wrong ones
    "run": mostly(RUNS, ["ghost", 3, ["cnn"]]),
    "runs": st.one_of(mostly([*RUNS, "all"], ["ghost"]), st.lists(mostly(RUNS, ["ghost"]), min_size=1, max_size=3)),
    "text": mostly(LAYERS, ["", "nope", 3]),
    "texts": st.lists(mostly(LAYERS, ["nope"]), min_size=1, max_size=3),
    "figure_count": mostly([1, 4, 16], [-1, 0, 10_000, "two"]),
    "pos_int": mostly([1, 50, 5_000], [-1, 0]),
    "nonneg_int": mostly([0, 3, 2_000], [-1]),
    "bool": mostly([True, False], ["yes"]),
    "metrics": st.lists(mostly(["loss", "accuracy", "mean_squared_error"], ["val_loss", "bogus"]), min_size=1, max_size=3),
    "projection": mostly(["pca", "tsne"], ["umap"]),
}


def _figure(kind: str) -> st.SearchStrategy[dict]:
    """A figure block: its required keys nearly always there (a missing one is a mistake worth drawing too), any of its
    optional ones, and `run:` given to a figure of `runs:` (the singular, as other figures are written)."""
    keys = dict(catalog.FIGURES[kind], caption="text")
    values = {key: ARG_VALUES.get("texts" if key == "layers" else arg, st.just("x")) for key, arg in keys.items()}
    required = set(catalog.REQUIRED_FIGURE_KEYS[kind])
    if "runs" in keys:
        values["run"] = ARG_VALUES["run"]
        required -= {"runs"}
        values_required = {"runs": values.pop("runs")}
        first = st.one_of(st.fixed_dictionaries(values_required), st.fixed_dictionaries({"run": values.pop("run")}))
    else:
        first = st.fixed_dictionaries({key: values.pop(key) for key in required})
    optional = st.fixed_dictionaries({}, optional=values)
    keep = st.integers(0, 15).map(bool)  # the required keys left out once in sixteen
    return st.tuples(first, optional, keep).map(lambda parts: {kind: {**(parts[0] if parts[2] else {}), **parts[1]}})


BLOCKS = st.one_of(
    *[_figure(kind) for kind in catalog.FIGURES],
    st.fixed_dictionaries({}, optional={"runs": ARG_VALUES["runs"], "columns": st.lists(st.sampled_from(
        [*catalog.COLUMNS[:8], "test_mse", "compression", "acuracy"]), max_size=4), "caption": st.just("T")}).map(lambda o: {"table": o}),
    st.fixed_dictionaries({"runs": ARG_VALUES["runs"]}, optional={
        "metric": mostly(["test_accuracy", "test_mse", "test_psnr", "train_loss"], ["f1"]),
        "text": st.sampled_from(["Best: {run} ({value}, {choice}).", "{metric} of {title}", "{nope}", "{{braces}} {run}"])}
    ).map(lambda o: {"best": o}),
    st.just({"convolution": {}}),
    st.just({"markdown": "Some *text*."}),
)


def _results(spec) -> dict[str, FakeResult]:
    """fake_results, with the numbers each run kind reports (an autoencoder: errors and PSNR, no accuracy)."""
    results = fake_results(spec)
    for name, run in spec.runs.items():
        if run.kind == "reconstruct":
            results[name].metrics = {"train_mse": 0.02, "test_mse": 0.03, "test_psnr": 17.5, "train_psnr": 18.0, "test_loss": 0.03}
        elif run.kind == "estimator":
            results[name].metrics = {"train_accuracy": 0.9, "test_accuracy": 0.8}
        results[name].dataset["shape"] = [8, 8, 1]
    return results


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(blocks=st.lists(BLOCKS, min_size=1, max_size=3), convolution=st.sampled_from(sorted(CONVOLUTIONS)))
def test_a_block_validate_accepts_renders(tmp_path: Path, blocks: list[dict], convolution: str) -> None:
    path = tmp_path / "blocks.yaml"
    path.write_text(HEAD % {"convolution": CONVOLUTIONS[convolution], "content": json.dumps(blocks)})
    try:
        spec = load_spec(path)
    except SpecError as exc:  # refused: each problem one located line
        event("refused")
        assert exc.problems and all(line.startswith(f"{path}:") or line.startswith("blocks.yaml:") or ": " in line
                                    for line in exc.problems), exc.problems
        return
    event("rendered")
    html = render_html(build_context(spec, _results(spec), "2026-01-01T00:00:00+00:00"))
    assert "<h2" in html and "Only section" in html
