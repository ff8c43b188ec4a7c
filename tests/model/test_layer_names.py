"""Unnamed layers are numbered within their own model (dense_1, dense_2), never by Keras' process-wide counters."""

from __future__ import annotations

import keras
import numpy as np

from reportgen.model import build_model, count_params_by_layer
from reportgen.model.build import layer_names
from reportgen.spec import DatasetSpec, LayerSpec, ModelSpec
from reportgen.spec.model import NodeSpec

DATA = DatasetSpec("d", "digits", flatten=True)
SHAPE = (4, 4, 1)


def _dense(units: int, **args) -> LayerSpec:
    return LayerSpec("Dense", {"units": units, **args})


def _names(model: keras.Model) -> list[str]:
    return [row["name"] for row in count_params_by_layer(model)]


def test_a_second_model_numbers_its_layers_from_one() -> None:
    build_model(ModelSpec((_dense(3), _dense(3), _dense(3), _dense(2))), DATA, SHAPE, 16)
    second = build_model(ModelSpec((_dense(5), LayerSpec("Dropout", {"rate": 0.5}), _dense(2))), DATA, SHAPE, 16)
    assert _names(second) == ["dense_1", "dropout_1", "dense_2"]
    assert [layer.name for layer in second.layers] == ["image", "scale", "flatten_input", "dense_1", "dropout_1", "dense_2"]


def test_a_name_the_user_gave_is_kept_and_skipped() -> None:
    before = ModelSpec((_dense(3, name="dense_1"), _dense(2)))
    after = ModelSpec((_dense(3), _dense(2, name="dense_1")))  # taken anywhere in the model, not only before
    assert _names(build_model(before, DATA, SHAPE, 16)) == ["dense_1", "dense_2"]
    assert _names(build_model(after, DATA, SHAPE, 16)) == ["dense_2", "dense_1"]
    crowded = ModelSpec((LayerSpec("Flatten"), _dense(4, name="dense_2"), _dense(3), _dense(2), _dense(2, name="dense_1")))
    assert layer_names(crowded) == ["flatten_1", "dense_2", "dense_3", "dense_4", "dense_1"]


def test_names_use_keras_snake_case_and_skip_reserved_names() -> None:
    spec = ModelSpec((LayerSpec("Conv2D", {"filters": 2, "kernel_size": 3}), LayerSpec("BatchNormalization"),
                      LayerSpec("MaxPooling2D"), LayerSpec("MobileNetV2"), LayerSpec("GlobalAveragePooling2D"),
                      _dense(2, name="head")))
    assert layer_names(spec) == ["conv2d_1", "batch_normalization_1", "max_pooling2d_1", "mobilenetv2",
                                 "global_average_pooling2d_1", "head"]
    assert layer_names(ModelSpec((_dense(2),)), reserved=["dense_1"]) == ["dense_2"]  # e.g. an inherited base's name


def test_a_graph_numbers_across_its_nodes_in_graph_order() -> None:
    a = NodeSpec("a", ("input",), (_dense(4), _dense(4)))
    b = NodeSpec("b", ("input",), (_dense(4, name="dense_3"), _dense(4)))
    out = NodeSpec("out", ("a", "b"), (LayerSpec("Concatenate"), _dense(2)))
    spec = ModelSpec(tuple(layer for node in (a, b, out) for layer in node.layers), graph=(a, b, out), output="out")
    build_model(ModelSpec((_dense(3), _dense(3))), DATA, SHAPE, 16)  # Keras' counters move on; ours do not
    model = build_model(spec, DATA, SHAPE, 16)
    rows = {row["name"]: row for row in count_params_by_layer(model)}
    assert sorted(rows) == ["concatenate_1", "dense_1", "dense_2", "dense_3", "dense_4", "dense_5"]
    assert rows["dense_1"]["params"] == 16 * 4 + 4 and rows["dense_2"]["params"] == 4 * 4 + 4  # node a
    assert rows["dense_4"]["params"] == 4 * 4 + 4 and rows["dense_5"]["params"] == 8 * 2 + 2  # node b, then out
    assert layer_names(spec) == ["dense_1", "dense_2", "dense_3", "dense_4", "concatenate_1", "dense_5"]


def test_initial_weights_do_not_depend_on_models_built_before() -> None:
    spec = ModelSpec((_dense(3), LayerSpec("BatchNormalization"), _dense(2)))
    built = []
    for before in (0, 2):
        for _ in range(before):
            build_model(spec, DATA, SHAPE, 16)
        keras.utils.set_random_seed(3)
        model = build_model(spec, DATA, SHAPE, 16)
        built.append((_names(model), [w for layer in model.layers for w in layer.get_weights()]))
    assert built[0][0] == built[1][0] == ["dense_1", "batch_normalization_1", "dense_2"]
    assert all(np.array_equal(x, y) for x, y in zip(built[0][1], built[1][1], strict=True))
