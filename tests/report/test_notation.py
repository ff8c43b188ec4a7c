"""The sheet's architecture notation and the hyper-parameter line."""

from __future__ import annotations

from reportgen.report.notation import architecture, hyperparameters, layer_notation
from reportgen.spec import CallbackSpec, LayerSpec, ModelSpec, TrainingSpec


def test_conv_layers_in_the_sheets_words() -> None:
    assert layer_notation(LayerSpec("Conv2D", {"filters": 32, "kernel_size": 3, "strides": 1, "padding": "same"})) == "CONV D=32, w=h=3, S=1, P='same'"
    assert layer_notation(LayerSpec("Conv2D", {"filters": 8, "kernel_size": [5, 3], "strides": 2})) == "CONV D=8, w=5, h=3, S=2, P='valid'"
    assert layer_notation(LayerSpec("Conv2D", {"filters": 8, "kernel_size": 3, "activation": "relu"})) == "CONV D=8, w=h=3, S=1, P='valid', relu"


def test_pooling_dense_and_regularizers() -> None:
    assert layer_notation(LayerSpec("MaxPooling2D", {"pool_size": 2})) == "MAXPOOL"
    assert layer_notation(LayerSpec("MaxPooling2D", {"pool_size": 3, "strides": 2})) == "MAXPOOL 3, S=2"
    assert layer_notation(LayerSpec("Dense", {"units": 10, "activation": "softmax", "kernel_regularizer": {"l2": 0.05}})) == "DENSE 10, softmax, L2=0.05"
    assert layer_notation(LayerSpec("Dropout", {"rate": 0.25})) == "DROPOUT 0.25"


def test_flatten_is_implicit() -> None:
    model = ModelSpec((LayerSpec("Flatten"), LayerSpec("Dense", {"units": 10}), LayerSpec("BatchNormalization")))
    assert architecture(model) == "DENSE 10; BN"


def test_hyperparameters_line_mentions_early_stop() -> None:
    training = TrainingSpec(epochs=30, callbacks=(CallbackSpec("EarlyStopping", {"patience": 5}),))
    assert hyperparameters(training, 12) == "adam lr=0.001; batch 128; 12 of 30 epochs; categorical_crossentropy; EarlyStopping(patience=5)"
    assert hyperparameters(TrainingSpec(optimizer="sgd", optimizer_args={"momentum": 0.9}), 5) == "sgd, momentum=0.9 lr=0.001; batch 128; 5 epochs; categorical_crossentropy"
