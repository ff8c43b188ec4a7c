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
    assert hyperparameters(TrainingSpec(optimizer="sgd", optimizer_args={"momentum": 0.9}), 5) == "sgd(momentum=0.9) lr=0.001; batch 128; 5 epochs; categorical_crossentropy"


def _graph(tmp_path, nodes: str) -> ModelSpec:
    from reportgen.spec import load_spec

    file = tmp_path / "g.yaml"
    file.write_text("title: t\ndatasets:\n  d: {source: digits}\nruns:\n  r:\n    model:\n      nodes:\n" + nodes)
    return load_spec(file).runs["r"].model


def test_a_graph_shows_shared_nodes_on_their_own_line_and_branches_one_per_line(tmp_path) -> None:
    model = _graph(tmp_path, "        stem: [Conv2D: {filters: 8, kernel_size: 3}]\n"
                             "        a: {inputs: stem, layers: [Conv2D: {filters: 4, kernel_size: 1}]}\n"
                             "        b: {inputs: stem, layers: [MaxPooling2D: 2]}\n"
                             "        head: {inputs: [a, b], layers: [Concatenate, Flatten, Dense: 10]}\n")
    assert architecture(model) == ("stem = CONV D=8, w=h=3, S=1, P='valid'\n"
                                   "CONCAT[a: stem → CONV D=4, w=h=1, S=1, P='valid' ‖\n"
                                   "b: stem → MAXPOOL]; DENSE 10")


def test_a_branch_of_an_implicit_flatten_ends_without_a_dangling_arrow(tmp_path) -> None:
    model = _graph(tmp_path, "        c1: [Conv2D: {filters: 4, kernel_size: 3}]\n"
                             "        c2: [MaxPooling2D: 2]\n"
                             "        f1: {inputs: c1, layers: [GlobalAveragePooling2D]}\n"
                             "        f2: {inputs: c2, layers: [Flatten]}\n"
                             "        head: {inputs: [f1, f2], layers: [Concatenate, Dense: 10]}\n")
    assert architecture(model) == ("c1 = CONV D=4, w=h=3, S=1, P='valid'\n"
                                   "CONCAT[f1: c1 → GLOBAL AVGPOOL ‖\n"
                                   "f2: c1 → MAXPOOL]; DENSE 10")
