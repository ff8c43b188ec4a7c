# ruff: noqa: F821  (RETRAIN, WEIGHTS, BATCH_VALUES, RESULTS, HISTORY and MODELS are the notebook's, from its first cell)
"""Training helpers an exported notebook carries as its own code (plain Keras): fit, evaluate, save and load a run."""

# Copied into every notebook as a code cell: it imports nothing of reportgen. RETRAIN, WEIGHTS and BATCH_VALUES come
# from the notebook's first cell.
import json
import logging
import time
import warnings
from pathlib import Path

import keras
import numpy as np

logging.getLogger("tensorflow").setLevel(logging.ERROR)  # retracing notices, between runs of different shapes

STEPS_PER_EXECUTION = 8 if keras.backend.backend() == "tensorflow" else 1  # small models wait less on Python


def widest_output(model):
    """The most values any layer of the model (nested models' too) outputs for one image."""
    widest, stack = 0, [model]
    while stack:
        layer = stack.pop()
        stack.extend(getattr(layer, "layers", []))
        try:
            outputs = layer.output
        except (AttributeError, ValueError):
            continue
        for t in outputs if isinstance(outputs, (list, tuple)) else [outputs]:
            widest = max(widest, int(np.prod([d or 1 for d in tuple(getattr(t, "shape", ()))[1:]])))
    return widest


def eval_batch(model):
    """Images per forward-only batch: 1,024, fewer for a model with a wide layer."""
    return max(1, min(1024, BATCH_VALUES // max(1, widest_output(model))))


def compile_model(model, optimizer, learning_rate, loss, metrics, **optimizer_args):
    model.compile(optimizer=getattr(keras.optimizers, optimizer)(learning_rate=learning_rate, **optimizer_args), loss=loss,
                  metrics=list(metrics), jit_compile="auto", steps_per_execution=STEPS_PER_EXECUTION)


def set_trainable(layer, value):
    # Layer.trainable's setter itself: on TensorFlow, assigning the value an attribute already holds is skipped.
    keras.layers.Layer.trainable.fset(layer, value)


def unfreeze_top(model, n):
    """The top `n` (None: all) layers with weights of each nested model trainable; BatchNormalization stays frozen."""
    for backbone in [layer for layer in model.layers if isinstance(layer, keras.Model)]:
        set_trainable(backbone, True)
        learning = [layer for layer in backbone.layers
                    if layer.trainable_weights and not isinstance(layer, keras.layers.BatchNormalization)]
        top = {id(layer) for layer in learning[len(learning) - min(len(learning) if n is None else n, len(learning)):]}
        for layer in backbone.layers:
            set_trainable(layer, id(layer) in top)


def save_run(model, history, name, backbones=()):
    """The run's weights (every layer's, by name; each backbone as a model file of its own) and its history, in WEIGHTS/."""
    WEIGHTS.mkdir(parents=True, exist_ok=True)
    for backbone in backbones:
        model.get_layer(backbone).save(WEIGHTS / f"{name}.{backbone}.keras")
    np.savez(WEIGHTS / f"{name}.weights.npz", **{f"{layer.name}/{i}": w for layer in model.layers if layer.name not in backbones
                                                  for i, w in enumerate(layer.get_weights())})
    (WEIGHTS / f"{name}.history.json").write_text(json.dumps(history))


def load_run(model, name, backbones=()):
    """The run's weights and history from WEIGHTS/ (its backbones were loaded with the model)."""
    with np.load(WEIGHTS / f"{name}.weights.npz") as weights:
        for layer in model.layers:
            count = len(layer.get_weights())
            if count and layer.name not in backbones:
                layer.set_weights([weights[f"{layer.name}/{i}"] for i in range(count)])
    return json.loads((WEIGHTS / f"{name}.history.json").read_text())


def trained(name):
    return not RETRAIN and (WEIGHTS / f"{name}.weights.npz").is_file()


def fit(model, name, x, y, validation_data, epochs, batch_size, callbacks=(), fine_tune=None, recompile=None, test=None,
        backbones=()):
    """model.fit for `epochs`, then the fine-tuning phase if any (the top layers of each backbone unfrozen and the
    model recompiled at its learning rate); the weights a best-only ModelCheckpoint kept are restored. Saved as `name`;
    the saved run is loaded instead unless RETRAIN. Returns the history and, with fine-tuning, the head's test scores."""
    if trained(name):
        return load_run(model, name, backbones)
    started = time.perf_counter()
    options = dict(batch_size=batch_size, verbose=0, callbacks=list(callbacks), shuffle=True, validation_batch_size=eval_batch(model))
    if validation_data is not None:
        options["validation_data"] = validation_data
    history = {k: list(v) for k, v in model.fit(x, y, epochs=epochs, **options).history.items()}
    if fine_tune:
        done = len(history["loss"])
        history["head"] = scores(model, *test)  # the test scores after the head phase, kept with the history
        unfreeze_top(model, fine_tune["layers"])
        recompile(fine_tune["learning_rate"])
        tuned = model.fit(x, y, epochs=done + fine_tune["epochs"], initial_epoch=done, **options).history
        history.update({k: history.get(k, []) + list(v) for k, v in tuned.items()})
    for callback in callbacks:
        if isinstance(callback, keras.callbacks.ModelCheckpoint) and callback.save_best_only and Path(callback.filepath).is_file():
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
                model.load_weights(callback.filepath)
            Path(callback.filepath).unlink()
    history = {k: ([float(v) for v in values] if isinstance(values, list) else values) for k, values in history.items()}
    history["seconds"] = time.perf_counter() - started
    save_run(model, history, name, backbones)
    return history


def scores(model, x, y):
    return {k: float(v) for k, v in model.evaluate(x, y, batch_size=eval_batch(model), verbose=0, return_dict=True).items()}


def evaluate(model, splits):
    """Each split's scores as split_metric; an accuracy also as its count of correct images, and the ratio from it."""
    metrics = {}
    for split, (x, y) in splits.items():
        for key, value in scores(model, x, y).items():
            metrics[f"{split}_{key}"] = value
        if f"{split}_accuracy" in metrics:
            correct = int(round(metrics[f"{split}_accuracy"] * len(x)))
            metrics.update({f"{split}_correct": correct, f"{split}_total": len(x), f"{split}_accuracy": correct / len(x)})
    return metrics


def record(name, seed, model, metrics, history):
    """Keep a run's numbers (RESULTS), history (HISTORY) and first seed's model (MODELS: figures and children use it)."""
    RESULTS.setdefault(name, {})[seed] = {
        "metrics": metrics, "epochs": len(history.get("loss", [])), "seconds": history["seconds"],
        "params": model.count_params() if model else 0,
        # as the report counts them: batch normalisation's moving statistics (the report does not tell frozen layers apart)
        "non_trainable": sum(int(np.prod(w.shape)) for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)
                             for w in layer.non_trainable_weights) if model else 0}
    HISTORY.setdefault(name, {})[seed] = history
    MODELS.setdefault(name, model)
    print(name, f"seed {seed}:", {k: round(v, 4) for k, v in metrics.items() if k.startswith("test_")})


def one_hot(y, n_classes):
    return keras.utils.to_categorical(y, n_classes).astype("float32")


def encoder(model, layer, name=None):
    """The model's input up to `layer`'s output, sharing its layers."""
    return keras.Model(model.inputs, model.get_layer(layer).output, name=name or f"{model.name}_to_{layer}")


def decoder(model, layer):
    """`layer`'s output up to the model's output."""
    return keras.Model(model.get_layer(layer).output, model.output, name=f"{model.name}_from_{layer}")


def targets(x, max_value, scale, shape):
    """Clean images as an autoencoder outputs them: in [0, 1] when scaled, in the model's output shape."""
    return (x.astype(np.float32) / (max_value if scale else 1.0)).reshape((len(x), *shape))


def reconstruction_errors(model, x, y):
    """Each image's mean squared error between its reconstruction and its clean target."""
    out = np.asarray(model.predict(x, batch_size=eval_batch(model), verbose=0), dtype=np.float32)
    return ((out - y) ** 2).reshape(len(x), -1).mean(axis=1)


@keras.saving.register_keras_serializable(package="notebook")
class BackbonePreprocess(keras.layers.Layer):
    """Pixels back to 0..255, grey tiled to RGB, then the application's own preprocess_input."""

    def __init__(self, module, scale_to_255=255.0, **kwargs):
        super().__init__(**kwargs)
        self.module, self.scale_to_255 = module, float(scale_to_255)

    def call(self, inputs):
        x = keras.ops.cast(inputs, self.compute_dtype) * self.scale_to_255
        if x.shape[-1] == 1:
            x = keras.ops.concatenate([x, x, x], axis=-1)
        return getattr(keras.applications, self.module).preprocess_input(x)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 3)

    def get_config(self):
        return {**super().get_config(), "module": self.module, "scale_to_255": self.scale_to_255}
