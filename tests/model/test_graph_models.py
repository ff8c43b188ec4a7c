"""Graph models from experiment files equal the same networks written by hand with Keras' functional API."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

from reportgen.model import ModelError, build_model, count_params_by_layer
from reportgen.spec import load_spec

L = keras.layers

HEAD = """\
title: t
datasets:
  cifar: {source: cifar10}
runs:
"""

INCEPTION = HEAD + """\
  inception:
    model:
      nodes:
        stem:
          - Conv2D: {filters: 16, kernel_size: 3, padding: same, activation: relu}
          - MaxPooling2D: 2
        b1: {inputs: stem, layers: [{Conv2D: {filters: 8, kernel_size: 1, activation: relu}}]}
        b3:
          inputs: stem
          layers:
            - Conv2D: {filters: 8, kernel_size: 1, activation: relu}
            - Conv2D: {filters: 8, kernel_size: 3, padding: same, activation: relu}
        b5:
          inputs: stem
          layers:
            - Conv2D: {filters: 4, kernel_size: 1, activation: relu}
            - Conv2D: {filters: 4, kernel_size: 5, padding: same, activation: relu}
        pool:
          inputs: stem
          layers:
            - MaxPooling2D: {pool_size: 3, strides: 1, padding: same}
            - Conv2D: {filters: 4, kernel_size: 1, activation: relu}
        mixed:
          inputs: [b1, b3, b5, pool]
          layers: [Concatenate, GlobalAveragePooling2D, {Dense: {units: 10, activation: softmax}}]
"""

RESIDUAL = HEAD + """\
  residual:
    model:
      nodes:
        stem: [{Conv2D: {filters: 8, kernel_size: 3, padding: same, activation: relu}}]
        body:
          - Conv2D: {filters: 8, kernel_size: 3, padding: same}
          - BatchNormalization
          - ReLU
          - Conv2D: {filters: 8, kernel_size: 3, padding: same}
          - BatchNormalization
        add1: {inputs: [stem, body], layers: [Add, ReLU]}
        down:
          - Conv2D: {filters: 16, kernel_size: 3, strides: 2, padding: same}
          - BatchNormalization
          - ReLU
          - Conv2D: {filters: 16, kernel_size: 3, padding: same}
          - BatchNormalization
        shortcut: {inputs: add1, layers: [{Conv2D: {filters: 16, kernel_size: 1, strides: 2}}]}
        add2:
          inputs: [down, shortcut]
          layers: [Add, ReLU, GlobalAveragePooling2D, {Dense: {units: 10, activation: softmax}}]
"""


def _start() -> tuple[keras.KerasTensor, keras.KerasTensor]:
    image = keras.Input((32, 32, 3), dtype="uint8", name="image")
    return image, L.Rescaling(1 / 255, name="scale")(image)


def _hand_inception() -> keras.Model:
    image, x = _start()
    stem = L.MaxPooling2D(2, name="stem_maxpooling2d")(L.Conv2D(16, 3, padding="same", activation="relu", name="stem_conv2d")(x))
    b1 = L.Conv2D(8, 1, activation="relu", name="b1_conv2d")(stem)
    b3 = L.Conv2D(8, 1, activation="relu", name="b3_conv2d")(stem)
    b3 = L.Conv2D(8, 3, padding="same", activation="relu", name="b3_conv2d_2")(b3)
    b5 = L.Conv2D(4, 1, activation="relu", name="b5_conv2d")(stem)
    b5 = L.Conv2D(4, 5, padding="same", activation="relu", name="b5_conv2d_2")(b5)
    pool = L.MaxPooling2D(3, strides=1, padding="same", name="pool_maxpooling2d")(stem)
    pool = L.Conv2D(4, 1, activation="relu", name="pool_conv2d")(pool)
    x = L.Concatenate(name="mixed_concatenate")([b1, b3, b5, pool])
    x = L.GlobalAveragePooling2D(name="mixed_globalaveragepooling2d")(x)
    return keras.Model(image, L.Dense(10, activation="softmax", name="mixed_dense")(x))


def _hand_residual() -> keras.Model:
    image, x = _start()
    stem = L.Conv2D(8, 3, padding="same", activation="relu", name="stem_conv2d")(x)
    y = L.Conv2D(8, 3, padding="same", name="body_conv2d")(stem)
    y = L.ReLU(name="body_relu")(L.BatchNormalization(name="body_batchnormalization")(y))
    y = L.BatchNormalization(name="body_batchnormalization_2")(L.Conv2D(8, 3, padding="same", name="body_conv2d_2")(y))
    add1 = L.ReLU(name="add1_relu")(L.Add(name="add1_add")([stem, y]))
    y = L.Conv2D(16, 3, strides=2, padding="same", name="down_conv2d")(add1)
    y = L.ReLU(name="down_relu")(L.BatchNormalization(name="down_batchnormalization")(y))
    y = L.BatchNormalization(name="down_batchnormalization_2")(L.Conv2D(16, 3, padding="same", name="down_conv2d_2")(y))
    shortcut = L.Conv2D(16, 1, strides=2, name="shortcut_conv2d")(add1)
    x = L.ReLU(name="add2_relu")(L.Add(name="add2_add")([y, shortcut]))
    x = L.GlobalAveragePooling2D(name="add2_globalaveragepooling2d")(x)
    return keras.Model(image, L.Dense(10, activation="softmax", name="add2_dense")(x))


def _built(tmp_path: Path, text: str, run: str) -> keras.Model:
    file = tmp_path / "graph.yaml"
    file.write_text(text)
    spec = load_spec(file)
    return build_model(spec.runs[run].model, spec.datasets["cifar"], (32, 32, 3), 255, run)


def _randomize(model: keras.Model, rng: np.random.Generator) -> None:
    """Weights unlike any initializer (BatchNormalization's moving variance kept positive), so a mis-wired copy shows."""
    for layer in model.layers:
        weights = layer.get_weights()
        if weights:
            layer.set_weights([rng.uniform(0.5, 1.5, w.shape).astype(w.dtype) if isinstance(layer, L.BatchNormalization)
                               else rng.normal(0, 0.3, w.shape).astype(w.dtype) for w in weights])


@pytest.mark.parametrize(("text", "run", "hand"), [(INCEPTION, "inception", _hand_inception), (RESIDUAL, "residual", _hand_residual)],
                         ids=["inception", "residual"])
def test_yaml_graph_equals_the_hand_written_functional_model(tmp_path: Path, text: str, run: str, hand) -> None:
    keras.backend.clear_session()
    built, written = _built(tmp_path, text, run), hand()
    assert len(built.layers) == len(written.layers)
    assert sorted(layer.name for layer in built.layers) == sorted(layer.name for layer in written.layers)
    assert [type(built.get_layer(layer.name)) for layer in written.layers] == [type(layer) for layer in written.layers]
    assert built.count_params() == written.count_params()
    assert built.output.shape == written.output.shape == (None, 10)
    rng = np.random.default_rng(0)
    _randomize(written, rng)
    for layer in written.layers:
        built.get_layer(layer.name).set_weights(layer.get_weights())
    x = rng.integers(0, 256, (4, 32, 32, 3), dtype=np.uint8)
    expected = written.predict(x, verbose=0)
    assert not np.allclose(expected, expected[:1])  # different images, different outputs: the comparison means something
    np.testing.assert_allclose(built.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_each_merge_input_is_wired_to_its_node(tmp_path: Path) -> None:
    keras.backend.clear_session()
    model = _built(tmp_path, INCEPTION, "inception")
    concatenate = model.get_layer("mixed_concatenate")
    sources = [t._keras_history.operation.name for t in concatenate._inbound_nodes[0].input_tensors]
    assert sources == ["b1_conv2d", "b3_conv2d_2", "b5_conv2d_2", "pool_conv2d"]  # in the order `inputs:` lists them
    assert tuple(concatenate.output.shape) == (None, 16, 16, 24)
    rows = {row["name"]: row for row in count_params_by_layer(model)}
    assert "scale" not in rows and rows["mixed_concatenate"]["output_shape"] == [16, 16, 24]
    assert rows["b5_conv2d_2"]["params"] == 5 * 5 * 4 * 4 + 4


def test_a_merge_of_mismatched_maps_is_a_located_model_error(tmp_path: Path) -> None:
    keras.backend.clear_session()
    text = RESIDUAL.replace("shortcut: {inputs: add1, layers: [{Conv2D: {filters: 16, kernel_size: 1, strides: 2}}]}",
                            "shortcut: {inputs: add1, layers: [{Conv2D: {filters: 16, kernel_size: 1}}]}")
    with pytest.raises(ModelError) as info:
        _built(tmp_path, text, "residual")
    line = text[:text.index("layers: [Add, ReLU, GlobalAveragePooling2D")].count("\n") + 1
    assert str(info.value).startswith(f"{tmp_path / 'graph.yaml'}:{line}:20: runs.residual.model.nodes.add2.layers[0]: Add cannot take input"), info.value
    assert "(None, 16, 16, 16) and (None, 32, 32, 16)" in str(info.value)
