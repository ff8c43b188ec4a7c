"""Run kinds and lineage in experiment files (no Keras): located errors of `from:`, `estimator:`, `noise:`, `labels:`,
`fine_tune:`; a swept parent's children; and the canonical run of a plain classifier."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reportgen.errors import SpecError
from reportgen.spec import load_spec

HEAD = """\
title: t
datasets:
  d: {source: digits}
training: {epochs: 1}
runs:
  ae:
    task: reconstruct
    code: code
    model: [Flatten, {Dense: {units: 16, activation: relu, name: code}}, {Dense: {units: 64, activation: sigmoid}}, {Reshape: [8, 8, 1]}]
"""

CLASSIFIER = "[Flatten, {Dense: {units: 10, activation: softmax, name: out}}]"


def _file(tmp_path: Path, text: str) -> Path:
    file = tmp_path / "kinds.yaml"
    file.write_text(text)
    return file


def _at(text: str, needle: str, after: str = "") -> str:
    """LINE:COL (1-based) of the first occurrence of needle in text that follows `after`."""
    index = text.index(needle, text.index(after) + len(after) if after else 0)
    line = text.count("\n", 0, index) + 1
    return f"{line}:{index - (text.rfind(chr(10), 0, index) + 1) + 1}"


def _problems(tmp_path: Path, text: str) -> tuple[Path, list[str]]:
    file = _file(tmp_path, text)
    with pytest.raises(SpecError) as info:
        load_spec(file)
    return file, info.value.problems


def test_unknown_parent_run_is_located_and_lists_the_known_runs(tmp_path: Path) -> None:
    text = HEAD + "  c:\n    from: {run: ae2, upto: code}\n    model: [{Dense: {units: 10, activation: softmax}}]\n"
    file, problems = _problems(tmp_path, text)
    assert len(problems) == 1
    # the run itself may be listed or not; the parent it meant must be, with the did-you-mean
    pattern = rf"{re.escape(str(file))}:{_at(text, 'ae2')}: runs\.c\.from\.run: unknown run 'ae2'; known: ae(, c)?\. Did you mean 'ae'\?"
    assert re.fullmatch(pattern, problems[0]), problems[0]


def test_unknown_features_run_is_located(tmp_path: Path) -> None:
    text = HEAD + "  s:\n    estimator: SVC\n    features: {run: nope}\n"
    file, problems = _problems(tmp_path, text)
    assert len(problems) == 1
    assert re.fullmatch(rf"{re.escape(str(file))}:{_at(text, 'nope')}: runs\.s\.features\.run: unknown run 'nope'; known: ae(, s)?\.",
                        problems[0]), problems[0]


@pytest.mark.parametrize(("runs", "cycle"), [
    ({"a": "b", "b": "a"}, "a -> b -> a"),
    ({"a": "a"}, "a -> a"),
    ({"a": "c", "b": "a", "c": "b"}, "a -> c -> b -> a"),
])
def test_a_cycle_of_runs_is_located_at_the_first_reference(tmp_path: Path, runs: dict[str, str], cycle: str) -> None:
    text = HEAD + "".join(f"  {name}:\n    from: {{run: {parent}, layers: [out]}}\n    model: {CLASSIFIER}\n" for name, parent in runs.items())
    file, problems = _problems(tmp_path, text)
    first = next(iter(runs))
    assert problems == [f"{file}:{_at(text, runs[first], after=f'  {first}:')}: runs.{first}.from.run: expected runs that do not "
                        f"start from each other. Received: a cycle {cycle}"]


def test_unknown_upto_layer_of_the_parent(tmp_path: Path) -> None:
    text = HEAD + "  c:\n    from: {run: ae, upto: cod}\n    model: [{Dense: {units: 10, activation: softmax}}]\n"
    file, problems = _problems(tmp_path, text)
    assert problems == [f"{file}:{_at(text, 'ae', after='  c:')}: runs.c.from: unknown layer 'cod' of run 'ae'; its named layers: "
                        "code. Did you mean 'code'?"]


def test_copied_layers_must_be_named_in_the_child_too(tmp_path: Path) -> None:
    text = HEAD + "  c:\n    from: {run: ae, layers: [code]}\n    model: [Flatten, {Dense: {units: 10, activation: softmax}}]\n"
    file, problems = _problems(tmp_path, text)
    assert problems == [f"{file}:{_at(text, 'ae', after='  c:')}: runs.c.from: expected layers named code in this run's model too, "
                        "to receive the weights of 'ae'"]


def test_copied_layers_must_be_named_in_the_parent(tmp_path: Path) -> None:
    text = HEAD + f"  c:\n    from: {{run: ae, layers: [out]}}\n    model: {CLASSIFIER}\n"
    file, problems = _problems(tmp_path, text)
    assert problems == [f"{file}:{_at(text, 'ae', after='  c:')}: runs.c.from: unknown layer 'out' of run 'ae'; its named layers: code."]


def test_from_takes_upto_or_layers_not_both(tmp_path: Path) -> None:
    text = HEAD + "  c:\n    from: {run: ae, upto: code, layers: [code]}\n    model: [{Dense: {units: 10, activation: softmax}}]\n"
    file, problems = _problems(tmp_path, text)
    assert len(problems) == 1 and problems[0].startswith(f"{file}:{_at(text, '{run: ae')}: runs.c.from: expected either `upto: LAYER`")


def test_a_parent_must_be_a_keras_run(tmp_path: Path) -> None:
    text = HEAD + f"  s:\n    estimator: SVC\n  c:\n    from: {{run: s, layers: [out]}}\n    model: {CLASSIFIER}\n"
    file, problems = _problems(tmp_path, text)
    assert problems == [f"{file}:{_at(text, 's,', after='  c:')}: runs.c.from.run: expected a Keras run to start from. "
                        "Received: 's', a scikit-learn estimator"]


@pytest.mark.parametrize(("key", "value"), [("model", "[Flatten]"), ("task", "reconstruct"), ("from", "{run: ae, upto: code}"),
                                            ("noise", "0.3")])
def test_an_estimator_takes_no_keras_keys(tmp_path: Path, key: str, value: str) -> None:
    text = HEAD + f"  s:\n    estimator: {{SVC: {{C: 10}}}}\n    {key}: {value}\n"
    file, problems = _problems(tmp_path, text)
    assert problems == [f"{file}:{_at(text, value, after='  s:')}: runs.s.{key}: expected no such key in a run with `estimator:` "
                        "(it fits a scikit-learn estimator on `features:`, not a Keras model)"]


@pytest.mark.parametrize(("key", "value"), [("noise", "0.3"), ("pool", "[train, test]"), ("code", "out")])
def test_reconstruct_keys_need_task_reconstruct(tmp_path: Path, key: str, value: str) -> None:
    text = HEAD + f"  c:\n    {key}: {value}\n    model: {CLASSIFIER}\n"
    file, problems = _problems(tmp_path, text)
    assert problems == [f"{file}:{_at(text, value, after='  c:')}: runs.c.{key}: expected `{key}:` only with `task: reconstruct`. "
                        "Received: task classify"]


def test_a_reconstruct_run_rejects_a_classification_loss(tmp_path: Path) -> None:
    text = HEAD + "  r:\n    task: reconstruct\n    model: [Flatten, {Dense: {units: 64}}, {Reshape: [8, 8, 1]}]\n" \
                  "    training: {loss: categorical_crossentropy}\n"
    file, problems = _problems(tmp_path, text)
    assert problems == [f"{file}:{_at(text, 'categorical_crossentropy')}: runs.r.training.loss: expected a reconstruction loss for "
                        "task reconstruct: mean_squared_error, binary_crossentropy, mean_absolute_error. Received: categorical_crossentropy"]


def test_a_reconstruct_run_rejects_accuracy(tmp_path: Path) -> None:
    text = HEAD + "  r:\n    task: reconstruct\n    model: [Flatten, {Dense: {units: 64}}, {Reshape: [8, 8, 1]}]\n" \
                  "    training: {metrics: [accuracy]}\n"
    file, problems = _problems(tmp_path, text)
    assert len(problems) == 1
    assert problems[0].startswith(f"{file}:{_at(text, '[accuracy]')}: runs.r.training.metrics: expected reconstruction metrics")
    assert problems[0].endswith("Received: accuracy")


def test_a_reconstruct_run_defaults_to_mse_without_accuracy(tmp_path: Path) -> None:
    training = load_spec(_file(tmp_path, HEAD)).runs["ae"].training
    assert (training.loss, training.metrics) == ("mean_squared_error", ())


def test_the_files_classifier_defaults_do_not_reach_an_autoencoder(tmp_path: Path) -> None:
    """`training: {loss: categorical_crossentropy, metrics: [accuracy]}` at the top is for the file's classifiers."""
    text = HEAD.replace("training: {epochs: 1}", "training: {epochs: 1, loss: categorical_crossentropy, metrics: [accuracy]}")
    text += f"  clf:\n    model: {CLASSIFIER}\n"
    spec = load_spec(_file(tmp_path, text))
    assert (spec.runs["ae"].training.loss, spec.runs["ae"].training.metrics) == ("mean_squared_error", ())
    assert (spec.runs["clf"].training.loss, spec.runs["clf"].training.metrics) == ("categorical_crossentropy", ("accuracy",))
    checkpoint = "callbacks: [ModelCheckpoint: {monitor: val_accuracy, save_best_only: true}, EarlyStopping: {patience: 2}]"
    spec = load_spec(_file(tmp_path, text.replace("training: {epochs: 1,", "training: {epochs: 1, " + checkpoint + ",")))
    assert [c.kind for c in spec.runs["ae"].training.callbacks] == ["EarlyStopping"]  # no accuracy to monitor
    assert [c.kind for c in spec.runs["clf"].training.callbacks] == ["ModelCheckpoint", "EarlyStopping"]
    kept = HEAD.replace("training: {epochs: 1}", "training: {epochs: 1, loss: binary_crossentropy, metrics: [mean_absolute_error]}")
    assert load_spec(_file(tmp_path, kept)).runs["ae"].training.loss == "binary_crossentropy"


def test_labels_on_a_reconstruct_run(tmp_path: Path) -> None:
    text = HEAD + "  r:\n    task: reconstruct\n    labels: 100\n    model: [Flatten, {Dense: {units: 64}}, {Reshape: [8, 8, 1]}]\n"
    file, problems = _problems(tmp_path, text)
    assert problems == [f"{file}:{_at(text, '100')}: runs.r.labels: expected no labelled budget on a reconstruct run (it uses no "
                        "labels; its images are `pool:`)"]


@pytest.mark.parametrize("trainable", ["", ", trainable: true"])
def test_fine_tune_needs_a_frozen_base(tmp_path: Path, trainable: str) -> None:
    """`trainable` defaults to true: both the default and an explicit true are refused with fine_tune."""
    text = HEAD + f"  c:\n    from: {{run: ae, upto: code{trainable}}}\n    model: [{{Dense: {{units: 10, activation: softmax}}}}]\n" \
                  "    training: {fine_tune: {epochs: 1}}\n"
    file, problems = _problems(tmp_path, text)
    assert problems == [f"{file}:{_at(text, '{run: ae')}: runs.c.from.trainable: expected `trainable: false` with `fine_tune:` (the "
                        "head trains first on the frozen base, then the base thaws)"]


def test_fine_tune_on_a_frozen_base_is_valid(tmp_path: Path) -> None:
    text = HEAD + "  c:\n    from: {run: ae, upto: code, trainable: false}\n    model: [{Dense: {units: 10, activation: softmax}}]\n" \
                  "    training: {fine_tune: {epochs: 2, learning_rate: 0.0001}}\n"
    run = load_spec(_file(tmp_path, text)).runs["c"]
    assert (run.start.run, run.start.upto, run.start.trainable) == ("ae", "code", False)
    assert (run.training.fine_tune.layers, run.training.fine_tune.epochs, run.training.fine_tune.learning_rate) == (None, 2, 0.0001)
    assert run.training.total_epochs == 3


SWEPT = HEAD + """\
    sweep:
      model[1].units: [8, 16]
  svm:
    estimator: {SVC: {C: 10}}
    features: {run: ae}
  pix:
    estimator: SVC
report:
  sections:
    - title: s
      content:
        - table: {runs: [svm], columns: [run, test_accuracy]}
"""


def test_a_swept_parent_expands_its_child_one_per_variant(tmp_path: Path) -> None:
    spec = load_spec(_file(tmp_path, SWEPT))
    assert list(spec.runs) == ["ae[units=8]", "ae[units=16]", "svm[units=8]", "svm[units=16]", "pix"]
    for units in (8, 16):
        parent, child = spec.runs[f"ae[units={units}]"], spec.runs[f"svm[units={units}]"]
        assert parent.model.layers[1].args["units"] == units
        assert child.features.run == f"ae[units={units}]" and child.parents() == (f"ae[units={units}]",)
        assert child.estimator.args == {"C": 10}
    assert spec.runs["pix"].parents() == () and spec.runs["pix"].features.run is None
    assert spec.sections[0].blocks[0].options["runs"] == ["svm[units=8]", "svm[units=16]"]  # the child's name stands for its variants


def test_a_child_of_a_swept_parent_keeps_its_own_sweep(tmp_path: Path) -> None:
    text = HEAD + "    sweep:\n      model[1].units: [8, 16]\n  clf:\n    from: {run: ae, upto: code, trainable: false}\n" \
                  "    model: [{Dense: {units: 10, activation: softmax}}]\n    sweep:\n      training.seed: [1, 2]\n"
    runs = load_spec(_file(tmp_path, text)).runs
    children = {name: run for name, run in runs.items() if name.startswith("clf")}
    assert sorted(children) == sorted(f"clf[seed={s}, units={u}]" for s in (1, 2) for u in (8, 16))
    for name, run in children.items():
        seed, units = re.fullmatch(r"clf\[seed=(\d+), units=(\d+)\]", name).groups()
        assert run.training.seed == int(seed) and run.start.run == f"ae[units={units}]"


def test_a_plain_classifier_has_no_new_canonical_keys(tmp_path: Path) -> None:
    """Options a plain classifier does not use stay out of its canonical spec, so its cache key is unchanged by them."""
    spec = load_spec(_file(tmp_path, HEAD + f"  c:\n    model: {CLASSIFIER}\n"))
    canonical = spec.runs["c"].canonical(spec.datasets["d"])
    assert set(canonical) == {"dataset", "subset", "model", "training"}
    assert not {"task", "code", "noise", "pool", "labels", "start", "estimator", "features"} & set(canonical)
    assert "fine_tune" not in canonical["training"]


def test_new_keys_enter_the_canonical_spec_when_used(tmp_path: Path) -> None:
    text = HEAD.replace("    code: code\n", "    code: code\n    noise: 0.3\n    pool: [train, test]\n") + \
        f"  c:\n    from: {{run: ae, layers: [code], trainable: false}}\n    labels: 50\n" \
        "    model: [Flatten, {Dense: {units: 16, activation: relu, name: code}}, {Dense: {units: 10, activation: softmax}}]\n"
    spec = load_spec(_file(tmp_path, text))
    ae, child = (spec.runs[n].canonical(spec.datasets["d"]) for n in ("ae", "c"))
    assert (ae["task"], ae["code"], ae["noise"], ae["pool"]) == ("reconstruct", "code", 0.3, ["train", "test"])
    assert child["labels"] == 50 and child["start"] == {"upto": None, "layers": ["code"], "trainable": False}
