"""PW09's models: the repeated-block VGG equals the hand-written net; augmentation acts in training only."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from reportgen.model import build_model
from reportgen.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]


def _pw09():
    return load_spec(ROOT / "experiments" / "pw09.yaml")


def _hand_written_vgg() -> keras.Model:
    """The sheet's [[Conv2D -> relu -> BN]*3 -> MaxPool2D -> Dropout]*4 -> Flatten -> Dense -> Dropout -> Out."""
    layers = [keras.Input((32, 32, 3))]
    for _ in range(4):
        for _ in range(3):
            layers += [keras.layers.Conv2D(64, 3, strides=1, padding="same"), keras.layers.Activation("relu"),
                       keras.layers.BatchNormalization()]
        layers += [keras.layers.MaxPooling2D(2, strides=2), keras.layers.Dropout(0.2)]
    layers += [keras.layers.Flatten(), keras.layers.Dense(256, activation="relu"), keras.layers.Dropout(0.2),
               keras.layers.Dense(10, activation="softmax")]
    return keras.Sequential(layers)


def test_repeated_block_vgg_has_the_hand_written_layers_and_parameters() -> None:
    spec = _pw09()
    run = spec.runs["vgg"]
    model = build_model(run.model, spec.datasets["cifar10"], (32, 32, 3), 255)
    hand = _hand_written_vgg()
    ours = [layer for layer in model.layers if layer.name not in ("image", "scale")]
    assert [type(layer).__name__ for layer in ours] == [type(layer).__name__ for layer in hand.layers]
    assert len(ours) == len(hand.layers) == 48
    assert model.count_params() == hand.count_params()
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == sum(int(np.prod(w.shape)) for w in hand.trainable_weights)


def test_augmentation_is_off_at_inference_and_on_in_training() -> None:
    spec = _pw09()
    run = spec.runs["cnn_aug[flip_translate_rotate_zoom]"]
    keras.utils.set_random_seed(0)
    model = build_model(run.model, spec.datasets["cifar10"], (32, 32, 3), 255)
    batch = np.random.default_rng(0).integers(0, 256, size=(8, 32, 32, 3), dtype=np.uint8)
    first, second = model.predict(batch, verbose=0), model.predict(batch, verbose=0)
    np.testing.assert_array_equal(first, second)
    augmented = keras.Model(model.inputs, model.get_layer("conv1").input)  # what the CNN body receives
    seen_1 = keras.ops.convert_to_numpy(augmented(batch, training=True))
    seen_2 = keras.ops.convert_to_numpy(augmented(batch, training=True))
    assert not np.allclose(seen_1, seen_2)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(augmented(batch, training=False)), batch / 255.0, rtol=1e-6)


def test_contrast_sees_scaled_pixels() -> None:
    spec = _pw09()
    model = build_model(spec.runs["cnn_aug[flip_translate_contrast]"].model, spec.datasets["cifar10"], (32, 32, 3), 255)
    contrast = next(layer for layer in model.layers if type(layer).__name__ == "RandomContrast")
    assert tuple(contrast.value_range) == (0.0, 1.0)
