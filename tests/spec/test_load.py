"""Valid experiment files: defaults, sweeps, profiles and the canonical run spec."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportgen.errors import SpecError
from reportgen.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]


def _spec(tmp_path: Path, text: str):
    file = tmp_path / "x.yaml"
    file.write_text(text)
    return load_spec(file)


BASE = """\
title: t
datasets:
  d: {source: idx, path: data/letters, classes: [A, B]}
training: {epochs: 7, batch_size: 64, optimizer: {sgd: {momentum: 0.9}}, learning_rate: 0.01}
runs:
  a:
    model:
      - Dense: 32
      - Dropout: 0.5
      - Dense: {units: 2, activation: softmax}
    training: {epochs: 3}
"""


def test_run_training_overrides_defaults_key_by_key(tmp_path: Path) -> None:
    run = _spec(tmp_path, BASE).runs["a"]
    assert (run.training.epochs, run.training.batch_size, run.training.learning_rate) == (3, 64, 0.01)
    assert (run.training.optimizer, run.training.optimizer_args) == ("sgd", {"momentum": 0.9})
    assert [layer.args for layer in run.model.layers] == [{"units": 32}, {"rate": 0.5}, {"units": 2, "activation": "softmax"}]


def test_dataset_paths_resolve_against_the_file_and_stay_out_of_the_cache_key(tmp_path: Path) -> None:
    spec = _spec(tmp_path, BASE)
    dataset = spec.datasets["d"]
    assert dataset.options["path"] == str(tmp_path / "data" / "letters")
    assert "path" not in spec.runs["a"].canonical(dataset)["dataset"]["options"]


def test_sweep_expands_a_grid_into_named_runs(tmp_path: Path) -> None:
    spec = _spec(tmp_path, BASE + "    sweep:\n      model[0].units: [16, 64]\n      training.epochs: [1, 2]\n")
    assert list(spec.runs) == ["a[units=16, epochs=1]", "a[units=16, epochs=2]", "a[units=64, epochs=1]", "a[units=64, epochs=2]"]
    run = spec.runs["a[units=64, epochs=2]"]
    assert run.model.layers[0].args["units"] == 64 and run.training.epochs == 2 and run.sweep == {"units": 64, "epochs": 2}


def test_a_sweep_name_in_a_report_stands_for_all_its_runs(tmp_path: Path) -> None:
    text = BASE + "    sweep: {training.seed: [1, 2]}\nreport:\n  sections:\n    - title: s\n      content:\n        - curves: {runs: [a]}\n"
    block = _spec(tmp_path, text).sections[0].blocks[0]
    assert block.options["runs"] == ["a[seed=1]", "a[seed=2]"]


def test_quick_profile_caps_epochs_and_takes_a_subset(tmp_path: Path) -> None:
    spec = _spec(tmp_path, BASE + "quick: {train: 100, test: 50, epochs: 2}\n")
    quick = spec.with_profile("quick")
    assert quick.runs["a"].training.epochs == 2 and quick.runs["a"].subset == (100, 50)
    assert spec.runs["a"].canonical(spec.datasets["d"]) != quick.runs["a"].canonical(quick.datasets["d"])


@pytest.mark.parametrize("name", sorted(p.stem for p in (ROOT / "experiments").glob("*.yaml")))
def test_shipped_experiments_are_valid(name: str) -> None:
    spec = load_spec(ROOT / "experiments" / f"{name}.yaml")
    assert spec.runs and spec.sections


def test_the_autoencoder_experiments_start_children_from_their_parents() -> None:
    sat = load_spec(ROOT / "experiments" / "sat-pa3.yaml")
    assert (sat.runs["m1"].kind, sat.runs["m1"].noise, sat.runs["m1"].pool) == ("reconstruct", 0.4, ("train", "test"))
    assert sat.runs["m3"].parents() == ("m1",) and sat.runs["m3"].start.upto == "code"
    assert sat.runs["dnn_pretrained"].start.layers == ("dense1", "dense2", "dense3")
    assert sat.datasets[sat.runs["m2"].dataset].source == "fashion_mnist"
    i2dl = load_spec(ROOT / "experiments" / "i2dl-ex8.yaml")
    assert {name: run.labels for name, run in i2dl.runs.items()} == {"autoencoder": None, "pretrained": 300, "scratch": 300,
                                                                    "svm_codes": 300, "svm_pixels": 300}


def test_exponent_numbers_are_numbers_as_in_yaml_1_2(tmp_path: Path) -> None:
    spec = _spec(tmp_path, BASE.replace("learning_rate: 0.01", "learning_rate: 1e-3"))
    assert spec.runs["a"].training.learning_rate == 0.001
    quoted = tmp_path / "q.yaml"
    quoted.write_text(BASE.replace("learning_rate: 0.01", "learning_rate: '1e-3'"))
    with pytest.raises(Exception, match="learning_rate: expected a number > 0. Received: '1e-3'"):
        load_spec(quoted)


@pytest.mark.parametrize("weights", ["/etc/passwd", "../outside.h5", "weights/../../x.h5", "~/.keras/models/x.h5", "C:/x.h5"])
def test_a_backbone_weights_file_must_lie_inside_the_experiment_folder(tmp_path: Path, weights: str) -> None:
    file = tmp_path / "w.yaml"
    file.write_text("title: t\ndatasets:\n  d: {source: digits}\nruns:\n  r:\n    model:\n"
                    f"      - MobileNetV2: {{weights: '{weights}'}}\n      - Dense: {{units: 10, activation: softmax}}\n")
    with pytest.raises(SpecError) as info:
        load_spec(file)
    assert info.value.problems == [f"{file}:7:32: runs.r.model[0].MobileNetV2.weights: expected imagenet, none, or a weights file inside "
                                   f"the experiment's folder (a relative path without '..'). Received: '{weights}'"]


@pytest.mark.parametrize("weights", ["imagenet", "none", "weights/mobilenet.h5"])
def test_backbone_weights_inside_the_folder_are_accepted(tmp_path: Path, weights: str) -> None:
    file = tmp_path / "w.yaml"
    file.write_text("title: t\ndatasets:\n  d: {source: digits}\nruns:\n  r:\n    model:\n"
                    f"      - MobileNetV2: {{weights: '{weights}'}}\n      - Dense: {{units: 10, activation: softmax}}\n")
    assert load_spec(file).runs["r"].model.layers[0].args["weights"] == weights
