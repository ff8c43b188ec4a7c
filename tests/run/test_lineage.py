"""Runs that start from other runs, on `digits`: inherited and copied weights, frozen bases, cache keys through the
lineage, estimators on pixels and on codes, seeded input noise and labelled budgets."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import keras
import numpy as np
import pytest
from sklearn.svm import SVC

import reportgen.run.autoencoder as autoencoder_module
import reportgen.run.train as train_module
from reportgen.data import load
from reportgen.model import parent_model
from reportgen.run import Cache, run_experiment
from reportgen.run.autoencoder import SAMPLES
from reportgen.run.estimator import pixels
from reportgen.run.noise import add_noise
from reportgen.run.prepared import describe, prepare_run
from reportgen.run.runner import _parent, plan_keys
from reportgen.spec import load_spec

CODE = 16
LINEAGE = f"""\
title: Lineage
datasets:
  digits: {{source: digits}}
training: {{epochs: 2, batch_size: 64, seed: 1, validation: none}}  # these tests look at labels, pool and noise
runs:
  ae:
    task: reconstruct
    code: code
    noise: 0.3
    pool: [train, test]
    model: [Flatten, {{Dense: {{units: {CODE}, activation: relu, name: code}}}}, {{Dense: {{units: 64, activation: sigmoid}}}}, {{Reshape: [8, 8, 1]}}]
  base_frozen:
    from: {{run: ae, upto: code, trainable: false}}
    labels: 200
    model: [{{Dense: {{units: 10, activation: softmax, name: head}}}}]
  base_trainable:
    from: {{run: ae, upto: code}}
    model: [{{Dense: {{units: 10, activation: softmax, name: head}}}}]
  tuned:
    from: {{run: ae, upto: code, trainable: false}}
    model: [{{Dense: {{units: 10, activation: softmax, name: head}}}}]
    training: {{epochs: 1, fine_tune: {{epochs: 1, learning_rate: 0.001}}}}
  copied:
    from: {{run: ae, layers: [code]}}
    model: [Flatten, {{Dense: {{units: {CODE}, activation: relu, name: code}}}}, {{Dense: {{units: 10, activation: softmax}}}}]
  copied_frozen:
    from: {{run: ae, layers: [code], trainable: false}}
    model: [Flatten, {{Dense: {{units: {CODE}, activation: relu, name: code}}}}, {{Dense: {{units: 10, activation: softmax}}}}]
  svm_codes:
    estimator: {{SVC: {{C: 10}}}}
    features: {{run: ae}}
  svm_pixels:
    estimator: {{SVC: {{C: 10}}}}
"""


def _weights(model: keras.Model) -> dict[str, list[np.ndarray]]:
    """Each layer's weights (copies); a nested model's layers as 'outer/inner' too."""
    out = {}
    for layer in model.layers:
        out[layer.name] = [np.array(w) for w in layer.get_weights()]
        if isinstance(layer, keras.Model):
            out.update({f"{layer.name}/{sub.name}": [np.array(w) for w in sub.get_weights()] for sub in layer.layers})
    return out


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One build; what every Keras run's model and data were when its training began is captured at fit_model."""
    tmp = tmp_path_factory.mktemp("lineage")
    file = tmp / "lineage.yaml"
    file.write_text(LINEAGE)
    spec, cache = load_spec(file), Cache(tmp / "cache")
    started: dict[str, dict[str, Any]] = {}
    fit = train_module.fit_model

    def spy(job, model, x, y, x_test, y_test, *val):  # noqa: ANN001, ANN202
        started[job.run.name] = {"weights": _weights(model), "x": np.array(x), "y": np.array(y), "x_test": np.array(x_test),
                                 "y_test": np.array(y_test), "trainable": {layer.name: layer.trainable for layer in model.layers}}
        return fit(job, model, x, y, x_test, y_test, *val)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(train_module, "fit_model", spy)
        patch.setattr(autoencoder_module, "fit_model", spy)
        results = run_experiment(spec, cache, show_progress=False)
    return {"spec": spec, "cache": cache, "results": results, "started": started, "data": load("digits", {})}


def _arrays(build: dict, name: str) -> dict[str, np.ndarray]:
    return build["cache"].arrays(build["results"][name].key)


def _assert_same(got: list[np.ndarray], want: list[np.ndarray]) -> None:
    assert len(got) == len(want) == 2  # kernel and bias
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


def _parent_code(build: dict) -> list[np.ndarray]:
    arrays = _arrays(build, "ae")
    return [arrays["weights/code/0"], arrays["weights/code/1"]]


def test_everything_trained_once(build: dict) -> None:
    assert all(not result.from_cache for result in build["results"].values())
    assert set(build["started"]) == {"ae", "base_frozen", "base_trainable", "tuned", "copied", "copied_frozen"}


def test_an_upto_base_starts_from_the_parents_trained_weights(build: dict) -> None:
    code = _parent_code(build)
    assert not np.array_equal(build["started"]["ae"]["weights"]["code"][0], code[0])  # training moved them: a fresh init would differ
    for name, trainable in (("base_frozen", False), ("base_trainable", True), ("tuned", False)):
        started = build["started"][name]
        assert started["trainable"]["ae_base"] is trainable
        _assert_same(started["weights"]["ae_base/code"], code)
        _assert_same(started["weights"]["ae_base"], code)  # the base is the parent up to its code layer: no decoder weights


def test_copied_layers_start_from_the_parents_trained_weights(build: dict) -> None:
    code = _parent_code(build)
    for name, trainable in (("copied", True), ("copied_frozen", False)):
        started = build["started"][name]
        assert started["trainable"]["code"] is trainable
        _assert_same(started["weights"]["code"], code)


def test_a_frozen_base_stays_bit_identical_through_training(build: dict) -> None:
    code = _parent_code(build)
    frozen = _arrays(build, "base_frozen")
    _assert_same([frozen["weights/ae_base/0"], frozen["weights/ae_base/1"]], code)
    assert not np.array_equal(frozen["weights/head/0"], build["started"]["base_frozen"]["weights"]["head"][0])  # its head did train
    copied = _arrays(build, "copied_frozen")
    _assert_same([copied["weights/code/0"], copied["weights/code/1"]], code)


def test_a_trainable_start_moves_away_from_the_parent(build: dict) -> None:
    """The counterpart of the frozen test: the comparison does see training."""
    code = _parent_code(build)
    assert not np.array_equal(_arrays(build, "base_trainable")["weights/ae_base/0"], code[0])
    assert not np.array_equal(_arrays(build, "copied")["weights/code/0"], code[0])


def test_fine_tuning_trains_the_head_then_thaws_the_base(build: dict) -> None:
    record = build["results"]["tuned"].record
    assert [phase["name"] for phase in record["phases"]] == ["head", "fine-tune"] and record["epochs"] == 2
    assert not np.array_equal(_arrays(build, "tuned")["weights/ae_base/0"], _parent_code(build)[0])


def test_a_child_key_holds_its_parents_entry(build: dict) -> None:
    results = build["results"]
    for name in ("base_frozen", "copied", "svm_codes"):
        assert results[name].record["parents"] == {"ae": results["ae"].key}
    assert results["svm_pixels"].record["parents"] == {}


def test_labels_give_a_budget_of_training_images(build: dict) -> None:
    dataset = build["results"]["base_frozen"].record["dataset"]
    assert (dataset["n_train"], dataset["labels"], dataset["n_test"]) == (200, 200, len(build["data"].x_test))


def test_pool_adds_the_test_images_to_an_autoencoders_training(build: dict) -> None:
    data = build["data"]
    dataset = build["results"]["ae"].record["dataset"]
    assert dataset["n_train"] == len(data.x_train) + len(data.x_test) and dataset["pool"] == ["train", "test"]


def test_svm_on_pixels_is_scikit_learn_on_the_scaled_pixels(build: dict) -> None:
    data = build["data"]
    features = [x.reshape(len(x), -1).astype(np.float32) / np.float32(data.max_value) for x in (data.x_train, data.x_test)]
    predicted = SVC(C=10).fit(features[0], data.y_train).predict(features[1])
    result = build["results"]["svm_pixels"]
    np.testing.assert_array_equal(_arrays(build, "svm_pixels")["y_pred"], predicted)
    assert result.metrics["test_accuracy"] == pytest.approx(float((predicted == data.y_test).mean()), abs=1e-12)
    assert result.record["features"] == {**result.record["features"], "source": "pixels", "size": 64}
    assert result.record["estimator"]["params"]["C"] == 10
    # SVC's default gamma='scale' makes its predictions blind to a constant factor: the features themselves, checked apart
    np.testing.assert_array_equal(pixels(data.x_test, data.max_value), features[1])
    assert pixels(data.x_test, data.max_value).dtype == np.float32


def test_svm_on_codes_uses_the_parents_code_layer(build: dict) -> None:
    data, result = build["data"], build["results"]["svm_codes"]
    assert result.record["features"]["size"] == CODE and result.record["features"]["source"] == "ae.code"
    saved = keras.saving.load_model(build["cache"].entry(build["results"]["ae"].key) / "model.keras")
    encoder = keras.Model(saved.inputs, saved.get_layer("code").output)
    codes = [np.asarray(encoder.predict(x, verbose=0), dtype=np.float32) for x in (data.x_train, data.x_test)]
    predicted = SVC(C=10).fit(codes[0], data.y_train).predict(codes[1])
    np.testing.assert_array_equal(_arrays(build, "svm_codes")["y_pred"], predicted)
    assert result.metrics["test_accuracy"] == pytest.approx(float((predicted == data.y_test).mean()), abs=1e-12)


def test_noise_is_on_the_inputs_only_with_clean_targets(build: dict) -> None:
    data, started = build["data"], build["started"]["ae"]
    pool = np.concatenate([data.x_train, data.x_test])
    np.testing.assert_array_equal(started["x"], add_noise(pool, 0.3, data.max_value, 1, 0))
    np.testing.assert_array_equal(started["x_test"], add_noise(data.x_test, 0.3, data.max_value, 1, 1))
    np.testing.assert_allclose(started["y"], pool.astype(np.float32) / data.max_value, rtol=0, atol=0)
    np.testing.assert_allclose(started["y_test"], data.x_test.astype(np.float32) / data.max_value, rtol=0, atol=0)


def test_saved_samples_are_the_clean_images_and_their_noisy_inputs(build: dict) -> None:
    data, arrays = build["data"], _arrays(build, "ae")
    n = min(SAMPLES, len(data.x_test))
    np.testing.assert_array_equal(arrays["samples/original"], data.x_test[:n])
    np.testing.assert_array_equal(arrays["samples/input"], add_noise(data.x_test, 0.3, data.max_value, 1, 1)[:n])
    assert not np.array_equal(arrays["samples/input"], arrays["samples/original"])
    metrics = build["results"]["ae"].metrics
    assert metrics["noisy_mse"] > 0 and metrics["test_mse"] > 0


def test_add_noise_is_seeded_clipped_and_8_bit() -> None:
    images = load("digits", {}).x_test
    before = images.copy()
    noisy = add_noise(images, 0.5, 16, seed=3, stream=0)
    assert noisy.dtype == np.uint8 and noisy.shape == images.shape
    assert noisy.min() == 0 and noisy.max() == 16  # a large noise reaches both ends of the range, and no further
    np.testing.assert_array_equal(noisy, add_noise(images, 0.5, 16, seed=3, stream=0))
    assert not np.array_equal(noisy, add_noise(images, 0.5, 16, seed=3, stream=1))
    assert not np.array_equal(noisy, add_noise(images, 0.5, 16, seed=4, stream=0))
    assert not np.array_equal(noisy, images)
    np.testing.assert_array_equal(images, before)  # the clean images are untouched
    small = add_noise(images, 0.1, 16, seed=3, stream=0).astype(float) - images
    spread = small[(images >= 6) & (images <= 10)].std()  # away from the clipped ends: factor * max_value = 1.6
    assert 1.4 < spread < 1.9 and abs(small[(images >= 6) & (images <= 10)].mean()) < 0.1  # centred


def test_labels_are_a_seeded_stratified_subset(build: dict) -> None:
    data, spec = build["data"], build["spec"]
    run = spec.runs["base_frozen"]
    used = prepare_run(data, run)
    assert len(used.x_train) == len(used.y_train) == 200 and len(used.x_test) == len(data.x_test)
    counts, full = np.bincount(used.y_train, minlength=10), np.bincount(data.y_train, minlength=10)
    assert np.all(np.abs(counts - 200 * full / full.sum()) < 1)  # each class in proportion, to within one image
    rows = {(x.tobytes(), int(y)) for x, y in zip(data.x_train, data.y_train)}
    assert all((x.tobytes(), int(y)) in rows for x, y in zip(used.x_train, used.y_train))  # images keep their labels
    again = prepare_run(data, run)
    np.testing.assert_array_equal(again.x_train, used.x_train)
    other = prepare_run(data, replace(run, training=replace(run.training, seed=2)))
    assert not np.array_equal(other.y_train, used.y_train) or not np.array_equal(other.x_train, used.x_train)
    assert describe(used, data, "f", run)["n_train"] == 200


def test_a_child_can_be_a_parent(build: dict) -> None:
    """A grandchild (estimator features or `from:` on base_frozen) needs base_frozen's model rebuilt with its base."""
    spec, cache, results = build["spec"], build["cache"], build["results"]
    parent = _parent(spec, "base_frozen", results["base_frozen"].key, cache)
    model = parent_model(parent)
    saved = keras.saving.load_model(cache.entry(results["base_frozen"].key) / "model.keras")
    x = build["data"].x_test[:64]
    np.testing.assert_allclose(model.predict(x, verbose=0), saved.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


KEYS = """\
title: Keys
datasets:
  digits: {{source: digits}}
training: {{epochs: 1, batch_size: 128, seed: 1}}
runs:
  parent:
    model: [Flatten, {{Dense: {{units: 8, activation: relu, name: hidden}}}}, {{Dense: {{units: 10, activation: softmax}}}}]
    training: {{epochs: {epochs}}}
  child:
    from: {{run: parent, upto: hidden}}
    model: [{{Dense: {{units: 10, activation: softmax}}}}]
  other:
    model: [Flatten, {{Dense: {{units: 10, activation: softmax}}}}]
"""


@pytest.fixture(scope="module")
def rebuilds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A build, the same again, then the parent's epochs changed: keys and which runs trained, at each step."""
    tmp = tmp_path_factory.mktemp("keys")
    file, cache = tmp / "keys.yaml", Cache(tmp / "cache")
    steps = {}
    for step, epochs in (("first", 1), ("same", 1), ("changed", 2)):
        file.write_text(KEYS.format(epochs=epochs))
        spec = load_spec(file)
        keys = plan_keys(spec, cache)
        results = run_experiment(spec, cache, show_progress=False)
        steps[step] = {"keys": keys, "trained": {name for name, result in results.items() if not result.from_cache},
                       "results": results}
    return steps


def test_an_unchanged_rebuild_trains_nothing(rebuilds: dict) -> None:
    assert rebuilds["first"]["trained"] == {"parent", "child", "other"}
    assert rebuilds["same"]["trained"] == set() and rebuilds["same"]["keys"] == rebuilds["first"]["keys"]


def test_a_parents_change_retrains_it_and_its_child_only(rebuilds: dict) -> None:
    before, after = rebuilds["same"]["keys"], rebuilds["changed"]["keys"]
    assert {name for name in before if before[name] != after[name]} == {"parent", "child"}
    assert rebuilds["changed"]["trained"] == {"parent", "child"}
    results = rebuilds["changed"]["results"]
    assert results["child"].record["parents"] == {"parent": after["parent"]} and results["parent"].epochs == 2
    assert {name: result.key for name, result in results.items()} == after


def test_a_forged_parent_entry_in_a_cache_entry_is_refused(build: dict) -> None:
    """A child's entry names its parents' entries; a name that is no cache key (a path, say) is never followed."""
    import json

    from reportgen.errors import RunError

    spec, cache, results = build["spec"], build["cache"], build["results"]
    child = next(name for name, run in spec.runs.items() if run.start and run.start.upto)
    grandchild_parent = results[child].key
    record_file = cache.entry(grandchild_parent) / "result.json"
    saved = record_file.read_text()
    try:
        record = json.loads(saved)
        record["parents"] = {spec.runs[child].start.run: "../../../../etc"}
        record_file.write_text(json.dumps(record))
        with pytest.raises(RunError, match="does not name the entry of its parent"):
            _parent(spec, child, grandchild_parent, cache)
    finally:
        record_file.write_text(saved)
