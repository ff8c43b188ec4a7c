"""Backbones from keras.applications: names, preprocessing layer, offline ImageNet weights, fine-tuning."""

from __future__ import annotations

import importlib
import time
from pathlib import Path

import h5py
import keras
import numpy as np
import pytest
from keras.src.backend import config as keras_config
from keras.src.legacy.saving import legacy_h5_format
from keras.src.utils import file_utils

from reportgen.errors import RunError
from reportgen.model import backbones
from reportgen.model.backbones import (
    APPLICATIONS,
    BackbonePreprocess,
    apply_backbone,
    backbones_in,
    can_reach,
    make_backbone,
    resolve_weights,
    unfreeze_top,
)

SMALL = {"alpha": 0.35}
SHAPE = (96, 96, 3)
FILE = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5"  # what Keras asks get_file for


@pytest.fixture
def offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Empty HOME and Keras cache, REPORTGEN_DATA_PATH = tmp/data, and no network; returns tmp/data."""
    data = tmp_path / "data"
    data.mkdir()
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("KERAS_HOME", str(home / ".keras"))
    monkeypatch.setattr(keras_config, "_KERAS_DIR", str(home / ".keras"))  # read once, when Keras was imported
    monkeypatch.setenv("REPORTGEN_DATA_PATH", str(data))
    monkeypatch.setattr(backbones, "can_reach", lambda url, timeout=3.0: False)
    return data


def _reference(seed: int = 0) -> keras.Model:
    """The small MobileNetV2, every weight set to distinct random values."""
    model = keras.applications.MobileNetV2(include_top=False, weights=None, input_shape=SHAPE, **SMALL)
    rng = np.random.default_rng(seed)
    for w in model.weights:
        w.assign(rng.uniform(0.5, 1.5, size=w.shape).astype(w.dtype))
    return model


def _save_like_keras_download(model: keras.Model, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:  # the legacy .h5 layout of the files Keras downloads
        legacy_h5_format.save_weights_to_hdf5_group(f, model)
    return path


def _assert_same_weights(a: keras.Model, b: keras.Model) -> None:
    assert len(a.weights) == len(b.weights) > 100
    for wa, wb in zip(a.weights, b.weights):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(wa), keras.ops.convert_to_numpy(wb), err_msg=wa.path)


def test_applications_are_exactly_those_keras_exposes() -> None:
    exposed = {name: getattr(keras.applications, name) for name in dir(keras.applications)
               if name[:1].isupper() and callable(getattr(keras.applications, name))}
    assert set(APPLICATIONS) == set(exposed)
    for name, module in APPLICATIONS.items():
        assert exposed[name].__module__.rsplit(".", 1)[1] == module
        assert callable(getattr(keras.applications, module).preprocess_input)


def test_every_application_fetches_weights_through_the_patched_module() -> None:
    for module in sorted(set(APPLICATIONS.values())):
        source = importlib.import_module(f"keras.src.applications.{module}")
        assert not hasattr(source, "get_file"), f"{module} binds get_file itself: the offline lookup would miss it"
        assert getattr(source, "file_utils", file_utils) is file_utils


@pytest.mark.parametrize("where", ["data", "data/models", "home/.keras/models"])
def test_imagenet_weights_load_from_a_local_file(offline: Path, where: str) -> None:
    reference = _reference()
    _save_like_keras_download(reference, offline.parent / where / FILE)
    backbone = make_backbone("MobileNetV2", SMALL, SHAPE, "bb")
    _assert_same_weights(backbone, reference)
    assert backbone.name == "bb" and backbone.trainable is False
    assert file_utils.get_file is not None and file_utils.get_file.__module__ == "keras.src.utils.file_utils"  # patch undone


def test_missing_weights_offline_fail_fast_naming_the_file(offline: Path) -> None:
    start = time.monotonic()
    with pytest.raises(RunError) as caught:
        make_backbone("MobileNetV2", SMALL, SHAPE, "bb")
    assert time.monotonic() - start < 10
    message = str(caught.value)
    assert "\n" not in message and FILE in message and "REPORTGEN_DATA_PATH" in message
    assert f"https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/{FILE}" in message
    assert file_utils.get_file.__module__ == "keras.src.utils.file_utils"


def test_online_and_missing_goes_through_keras_get_file(offline: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def fake_get_file(fname, origin, cache_subdir="datasets", **kwargs):
        calls.append((fname, origin, cache_subdir))
        return str(_save_like_keras_download(_reference(1), offline.parent / "downloaded" / fname))

    monkeypatch.setattr(file_utils, "get_file", fake_get_file)
    monkeypatch.setattr(backbones, "can_reach", lambda url, timeout=3.0: True)
    backbone = make_backbone("MobileNetV2", SMALL, SHAPE, "bb")
    assert [(c[0], c[2]) for c in calls] == [(FILE, "models")] and calls[0][1].endswith(FILE)
    _assert_same_weights(backbone, _reference(1))


def test_can_reach_gives_up_quickly() -> None:
    start = time.monotonic()
    assert can_reach("https://192.0.2.1/weights.h5", timeout=1.0) is False  # TEST-NET-1: never routable
    assert can_reach("not a url") is False
    assert time.monotonic() - start < 3


def test_explicit_weights_file_relative_to_the_experiment(offline: Path) -> None:
    reference = _reference(2)
    (offline / "exp").mkdir()
    reference.save_weights(offline / "exp" / "mine.weights.h5")
    backbone = make_backbone("MobileNetV2", {**SMALL, "weights": "mine.weights.h5"}, SHAPE, "bb", base=offline / "exp")
    _assert_same_weights(backbone, reference)
    with pytest.raises(RunError, match=r"weights file for MobileNetV2 not found: .*exp/other\.h5"):
        make_backbone("MobileNetV2", {**SMALL, "weights": "other.h5"}, SHAPE, "bb", base=offline / "exp")


def test_resolve_weights() -> None:
    assert resolve_weights("VGG16", None) is None
    assert resolve_weights("VGG16", "none") is None
    assert resolve_weights("VGG16", "imagenet") == "imagenet"


def test_argument_mistakes_are_one_line_run_errors() -> None:
    with pytest.raises(RunError, match=r"unknown application 'MobilNetV2'; known: ConvNeXtBase, .*Did you mean 'MobileNetV2'\?"):
        make_backbone("MobilNetV2", {}, SHAPE, "bb")
    with pytest.raises(RunError, match="include_top must be false"):
        make_backbone("MobileNetV2", {"include_top": True}, SHAPE, "bb")
    with pytest.raises(RunError, match="ResNet50 takes no alpha"):
        make_backbone("ResNet50", {"alpha": 0.5}, SHAPE, "bb")
    with pytest.raises(RunError, match="unknown backbone argument 'polling'.*Did you mean 'pooling'"):
        make_backbone("MobileNetV2", {"polling": "avg"}, SHAPE, "bb")
    with pytest.raises(RunError, match=r"shape \(height, width, 1 or 3\)"):
        make_backbone("MobileNetV2", {}, (32, 32, 4), "bb")
    with pytest.raises(RunError, match=r"backbone 'bb' \(MobileNetV2\): .*"):  # Keras' own refusal, one line
        make_backbone("MobileNetV2", {"weights": "none"}, (8, 8, 3), "bb")


@pytest.mark.parametrize("application", ["ResNet50", "MobileNetV2", "DenseNet121", "EfficientNetB0"])
def test_preprocess_layer_equals_keras_preprocess_input(application: str) -> None:
    rng = np.random.default_rng(3)
    scaled = rng.uniform(0, 1, size=(2, 5, 5, 3)).astype("float32")
    layer = BackbonePreprocess(application, 255.0)
    expected = getattr(keras.applications, APPLICATIONS[application]).preprocess_input(scaled * 255.0)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(scaled)), expected, rtol=1e-5, atol=1e-4)


def test_greyscale_is_tiled_to_three_channels() -> None:
    grey = np.arange(8, dtype="float32").reshape(1, 2, 4, 1)
    out = keras.ops.convert_to_numpy(BackbonePreprocess("MobileNetV2", 1.0)(grey))
    assert out.shape == (1, 2, 4, 3)
    np.testing.assert_allclose(out, np.repeat(grey / 127.5 - 1.0, 3, axis=-1), rtol=1e-6)


def _classifier() -> keras.Model:
    inputs = keras.Input((40, 40, 1), dtype="uint8")
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = apply_backbone(x, "MobileNetV2", {**SMALL, "weights": "none", "pooling": "avg", "input_size": 48}, 255.0, "bb")
    return keras.Model(inputs, keras.layers.Dense(3, activation="softmax", name="head")(x))


def test_model_with_backbone_saves_and_loads(tmp_path: Path) -> None:
    model = _classifier()
    assert [layer.name for layer in model.layers][2:] == ["bb_resize", "bb_preprocess", "bb", "head"]
    images = np.random.default_rng(4).integers(0, 256, size=(3, 40, 40, 1), dtype="uint8")
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(images)), keras.ops.convert_to_numpy(model(images)), rtol=1e-6)
    assert [b.name for b in backbones_in(loaded)] == ["bb"]
    assert loaded.get_layer("bb_preprocess").get_config()["scale_to_255"] == 255.0
    unfreeze_top(loaded, 3)  # the backbone's BN stays in inference mode, even in training and after loading
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(images, training=True)),
                               keras.ops.convert_to_numpy(loaded(images, training=False)), rtol=1e-6)


def test_unfreeze_top_thaws_exactly_n_parameter_layers_and_never_batchnorm() -> None:
    model = _classifier()
    backbone = model.get_layer("bb")
    assert backbone.trainable is False and len(model.trainable_weights) == 2  # only the head learns
    assert unfreeze_top(model, 4) == 4
    thawed = [layer.name for layer in backbone.layers if layer.trainable and layer.weights]
    assert thawed == ["block_16_expand", "block_16_depthwise", "block_16_project", "Conv_1"]
    assert not any(layer.trainable for layer in backbone.layers if isinstance(layer, keras.layers.BatchNormalization))
    learning = sorted(w.path for w in model.trainable_weights)  # what Keras' train step updates
    assert learning == sorted(["block_16_expand/kernel", "block_16_depthwise/kernel", "block_16_project/kernel",
                               "Conv_1/kernel", "head/kernel", "head/bias"])

    bn, frozen = backbone.get_layer("Conv_1_bn"), backbone.get_layer("Conv1")
    before = [keras.ops.convert_to_numpy(v).copy() for v in (bn.moving_mean, bn.moving_variance, frozen.kernel)]
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    images = np.random.default_rng(5).integers(0, 256, size=(8, 40, 40, 1), dtype="uint8")
    model.fit(images, np.arange(8) % 3, epochs=1, batch_size=8, verbose=0)
    for old, variable in zip(before, (bn.moving_mean, bn.moving_variance, frozen.kernel)):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(variable), old, err_msg=variable.path)

    total = sum(1 for layer in backbone.layers if layer.weights and not isinstance(layer, keras.layers.BatchNormalization))
    assert unfreeze_top(model, 10_000) == total
    assert unfreeze_top(model, 0) == 0 and len(model.trainable_weights) == 2
    with pytest.raises(RunError, match="non-negative"):
        unfreeze_top(model, -1)
