"""Models built from specs equal the same networks written by hand in Keras."""

from __future__ import annotations

import keras
import numpy as np

from reportgen.model import build_model, count_params_by_layer
from reportgen.spec import DatasetSpec, LayerSpec, ModelSpec


def test_simple_cnn_matches_hand_written_keras() -> None:
    spec = ModelSpec((
        LayerSpec("Conv2D", {"filters": 32, "kernel_size": 3, "strides": 1, "padding": "same"}),
        LayerSpec("Activation", {"activation": "relu"}),
        LayerSpec("MaxPooling2D", {"pool_size": 2}),
        LayerSpec("Flatten"),
        LayerSpec("Dense", {"units": 10, "activation": "softmax", "kernel_regularizer": {"l2": 0.05}}),
    ))
    model = build_model(spec, DatasetSpec("d", "cifar10"), (32, 32, 3), 255)
    hand = keras.Sequential([
        keras.Input((32, 32, 3)),
        keras.layers.Conv2D(32, 3, padding="same"),
        keras.layers.Activation("relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ])
    assert model.count_params() == hand.count_params() == 32 * 27 + 32 + 16 * 16 * 32 * 10 + 10
    assert model.layers[-1].kernel_regularizer.l2 == np.float32(0.05)
    rows = count_params_by_layer(model)
    assert [r["kind"] for r in rows] == ["Conv2D", "Activation", "MaxPooling2D", "Flatten", "Dense"]
    assert (rows[0]["weights"], rows[0]["biases"]) == (864, 32)


def test_uint8_input_is_scaled_and_flattened_inside_the_model() -> None:
    spec = ModelSpec((LayerSpec("Dense", {"units": 1, "use_bias": False, "kernel_initializer": "ones"}),))
    model = build_model(spec, DatasetSpec("d", "digits", flatten=True), (2, 2, 1), 16)
    assert model.inputs[0].dtype == "uint8"
    x = np.array([[[[16], [8]], [[0], [16]]]], dtype="uint8")
    assert float(model.predict(x, verbose=0)[0, 0]) == 2.5


def test_mixed_precision_computes_in_bfloat16_but_outputs_float32() -> None:
    spec = ModelSpec((
        LayerSpec("Conv2D", {"filters": 4, "kernel_size": 3}),
        LayerSpec("Flatten"),
        LayerSpec("Dense", {"units": 3, "activation": "softmax"}),
    ))
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        model = build_model(spec, DatasetSpec("d", "digits"), (8, 8, 1), 16)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    conv, dense = model.layers[2], model.layers[-1]
    assert (conv.compute_dtype, conv.variable_dtype) == ("bfloat16", "float32")
    assert dense.compute_dtype == "float32"  # softmax and the loss see float32, as Keras' mixed-precision guide asks
    assert model.predict(np.zeros((1, 8, 8, 1), dtype="uint8"), verbose=0).dtype == np.float32
