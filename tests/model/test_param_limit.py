"""Models are bounded by limit('params') from their layers' configs, before any weight is allocated."""

from __future__ import annotations

import time
from pathlib import Path

import keras
import pytest

from reportgen.limits import ENV_VAR
from reportgen.model import ModelError, build_model
from reportgen.model.build import estimate_params
from reportgen.spec import DatasetSpec, LayerSpec, ModelSpec, load_spec

L = keras.layers
FLAT = DatasetSpec("d", "digits", flatten=True)


@pytest.fixture
def no_big_build(monkeypatch):
    """Fail the test (instead of exhausting memory) if a layer's weights are about to be allocated at a huge size."""
    for cls in (L.Dense, L.Conv2D):
        real = cls.build

        def build(self, input_shape, real=real):
            if estimate_params(self, keras.KerasTensor(input_shape)) > 10**8:
                pytest.fail(f"{type(self).__name__} allocated its weights before the parameter limit was checked")
            return real(self, input_shape)

        monkeypatch.setattr(cls, "build", build)


@pytest.mark.parametrize("layer, shape", [
    (L.Dense(7), (5,)), (L.Dense(7, use_bias=False), (3, 5)),
    (L.Conv1D(4, 3), (9, 3)), (L.Conv2D(4, 3), (9, 9, 3)), (L.Conv2D(4, 3, groups=2, use_bias=False), (9, 9, 6)),
    (L.Conv2D(4, 3, data_format="channels_first"), (3, 9, 9)), (L.Conv3D(4, 3), (9, 9, 9, 2)),
    (L.Conv1DTranspose(4, 3), (9, 3)), (L.Conv2DTranspose(4, 3), (9, 9, 3)), (L.Conv3DTranspose(4, 2), (5, 5, 5, 3)),
    (L.SeparableConv1D(4, 3), (9, 3)), (L.SeparableConv2D(4, 3, depth_multiplier=2), (9, 9, 3)),
    (L.DepthwiseConv1D(3), (9, 3)), (L.DepthwiseConv2D(3, depth_multiplier=2), (9, 9, 3)),
    (L.Embedding(100, 8), (5,)), (L.SimpleRNN(6), (4, 5)), (L.LSTM(6), (4, 5)), (L.GRU(6), (4, 5)),
    (L.GRU(6, reset_after=False), (4, 5)), (L.Bidirectional(L.LSTM(6)), (4, 5)), (L.BatchNormalization(), (4, 5)),
    (L.MaxPooling2D(2), (8, 8, 3)), (L.Flatten(), (8, 8, 3)),
], ids=lambda v: type(v).__name__ if isinstance(v, L.Layer) else "")
def test_the_estimate_is_the_count_keras_makes(layer, shape):
    x = keras.Input(shape=shape, dtype="int32" if isinstance(layer, L.Embedding) else "float32")
    estimate = estimate_params(layer, x)
    assert not layer.weights  # estimated from the config alone
    layer(x)
    assert estimate == layer.count_params()


def test_a_model_of_ten_billion_parameters_is_refused_before_its_weights_exist(no_big_build):
    spec = ModelSpec((LayerSpec("Dense", {"units": 100_000}, where="f.yaml:7:9: runs.a.model[0]"),
                      LayerSpec("Dense", {"units": 10, "activation": "softmax"}, where="f.yaml:8:9: runs.a.model[1]")))
    start = time.perf_counter()
    with pytest.raises(ModelError) as info:
        build_model(spec, FLAT, (100_000,), 255)
    assert time.perf_counter() - start < 1
    assert info.value.message == ("f.yaml:7:9: runs.a.model[0]: expected at most 200,000,000 parameters in one model. "
                                  "Received: 10,000,100,000 with this Dense (10,000,100,000 of its own) "
                                  "(raise it with --limit params=N or $REPORTGEN_LIMITS)")


def test_the_parameters_of_all_layers_add_up(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "params=1000")
    spec = ModelSpec((LayerSpec("Dense", {"units": 10}, where="f.yaml:7:9: runs.a.model[0]"),  # 64 * 10 + 10 = 650
                      LayerSpec("Dense", {"units": 50}, where="f.yaml:8:9: runs.a.model[1]")))  # 10 * 50 + 50 = 550
    with pytest.raises(ModelError, match=r"^f\.yaml:8:9: runs\.a\.model\[1\]: expected at most 1,000 parameters in one model. "
                                         r"Received: 1,200 with this Dense \(550 of its own\)"):
        build_model(spec, FLAT, (64,), 16)
    monkeypatch.setenv(ENV_VAR, "params=2000")
    assert build_model(spec, FLAT, (64,), 16).count_params() == 1200


GRAPH = """\
title: t
datasets:
  images: {source: digits}
runs:
  wide:
    model:
      nodes:
        a: [{Conv2D: {filters: 8, kernel_size: 64, padding: same}}]
        b: {inputs: input, layers: [{Conv2D: {filters: 8, kernel_size: 64, padding: same}}]}
        out: {inputs: [a, b], layers: [Add, Flatten, {Dense: {units: 10, activation: softmax}}]}
"""


def test_graph_models_and_pre_flight_report_the_layer(tmp_path, monkeypatch):
    from reportgen.errors import SpecError
    from reportgen.run.preflight import check_models

    path = tmp_path / "e.yaml"
    path.write_text(GRAPH, encoding="utf-8")
    spec = load_spec(path)
    monkeypatch.setenv(ENV_VAR, "params=50000")  # each branch (32,776 parameters) fits; both do not
    start = time.perf_counter()
    with pytest.raises(SpecError) as info:
        check_models(spec)
    assert time.perf_counter() - start < 2
    assert info.value.problems == [f"{path}:9:37: runs.wide.model.nodes.b.layers[0]: expected at most 50,000 parameters in "
                                   "one model. Received: 65,552 with this Conv2D (32,776 of its own) (raise it with "
                                   "--limit params=N or $REPORTGEN_LIMITS)"]


def test_a_wide_mobilenet_is_refused_before_it_is_built(monkeypatch):
    from reportgen.model import backbones

    monkeypatch.setattr(backbones, "apply_backbone", lambda *args, **kwargs: pytest.fail("built the backbone"))
    spec = ModelSpec((LayerSpec("MobileNetV2", {"weights": "none", "alpha": 100.0}, where="f.yaml:7:9: runs.a.model[0]"),))
    with pytest.raises(ModelError, match=r"^f\.yaml:7:9: runs\.a\.model\[0\]: expected at most 200,000,000 parameters"):
        build_model(spec, DatasetSpec("d", "digits"), (32, 32, 3), 255, base=Path("."))


def test_a_backbone_counts_once_built(monkeypatch):
    from reportgen.model import backbones

    def small_backbone(x, application, args, value_scale, name, base=None):
        inner = keras.Input(shape=tuple(x.shape[1:]))
        return keras.Model(inner, L.Dense(100)(L.Flatten()(inner)), name=name)(x)  # 4 * 4 * 3 * 100 + 100 = 4,900

    monkeypatch.setattr(backbones, "apply_backbone", small_backbone)
    monkeypatch.setenv(ENV_VAR, "params=5000")
    spec = ModelSpec((LayerSpec("MobileNetV2", {"weights": "none"}, where="f.yaml:7:9: runs.a.model[0]"),
                      LayerSpec("Dense", {"units": 10}, where="f.yaml:8:9: runs.a.model[1]")))  # 100 * 10 + 10 = 1,010
    with pytest.raises(ModelError, match=r"^f\.yaml:8:9: runs\.a\.model\[1\]: expected at most 5,000 parameters in one model. "
                                         r"Received: 5,910 with this Dense \(1,010 of its own\)"):
        build_model(spec, DatasetSpec("d", "digits"), (4, 4, 3), 255)


def test_a_layer_whose_output_is_too_large_per_image_is_refused_at_its_line():
    images = DatasetSpec("d", "digits")
    spec = ModelSpec((LayerSpec("UpSampling2D", {"size": 1000}, where="f.yaml:7:9: runs.a.model[0]"),
                      LayerSpec("Flatten", {}), LayerSpec("Dense", {"units": 10})))
    with pytest.raises(ModelError, match=r"^f.yaml:7:9: runs.a.model\[0\]: expected at most 33,554,432 values in one "
                                         r"layer's output for one image. Received: 64,000,000"):
        build_model(spec, images, (8, 8, 1), 16)


def test_the_activation_limit_can_be_raised(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "activations=100000000")
    spec = ModelSpec((LayerSpec("UpSampling2D", {"size": 1000}), LayerSpec("GlobalAveragePooling2D", {}),
                      LayerSpec("Dense", {"units": 10})))
    assert build_model(spec, DatasetSpec("d", "digits"), (8, 8, 1), 16).count_params() == 20


def test_a_layer_config_keras_refuses_is_its_located_error_not_a_crash_of_the_estimate():
    spec = ModelSpec((LayerSpec("BatchNormalization", {"axis": 5}, where="f.yaml:7:9: runs.a.model[0]"), LayerSpec("Dense", {"units": 10})))
    with pytest.raises(ModelError, match=r"^f.yaml:7:9: runs.a.model\[0\]: BatchNormalization cannot take input"):
        build_model(spec, FLAT, (64,), 16)
