"""Probes: what figures need from a trained model (activation maps, the diagram), computed once into its cache entry."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..errors import RunError
from ..spec import ExperimentSpec
from ..spec.figurekinds import CODES_IMAGES, DIAGRAM_PROBE, FIGURE_KINDS

__all__ = ["CODES_IMAGES", "activation_maps", "code_projection", "compute_probe", "diagram_dot", "wanted_probes"]


def wanted_probes(spec: ExperimentSpec) -> dict[str, dict[str, list[str]]]:
    """{run: {probe name: the arrays it must hold}} for every figure of the report whose kind declares a probe."""
    wanted: dict[str, dict[str, list[str]]] = {}
    for section in spec.sections:
        for block in section.blocks:
            kind = FIGURE_KINDS.get(block.options.get("kind")) if block.kind == "figure" else None
            if kind is None or kind.probe is None:
                continue
            best_of = block.options.get("best_of")  # `run: best`: chosen after training, so each candidate is probed
            for run in (best_of["runs"] if best_of else [block.options["run"]]):
                for probe, arrays in kind.probe(block.options, spec.runs[run]).items():
                    held = wanted.setdefault(run, {}).setdefault(probe, [])
                    held.extend(array for array in arrays if array not in held)
    return wanted


def compute_probe(probe: str, arrays: list[str], model: Any, dataset: Callable[[], Any], run: str) -> dict[str, np.ndarray]:
    """One probe's arrays from the trained model (`dataset` loads the run's data only if the probe needs it)."""
    if probe == DIAGRAM_PROBE:
        return {"dot": np.array(diagram_dot(model))}
    if probe.startswith("codes-"):
        _, rest = probe.split("-", 1)
        layer, method, images = rest.rsplit("-", 2)
        data = dataset()
        return code_projection(model, data.x_test[:int(images)], data.y_test[:int(images)], layer, method, run)
    index = int(probe.rsplit("-", 1)[1])
    return activation_maps(model, dataset().x_train, index, [a for a in arrays if a != "image"], run)


def diagram_dot(model: Any) -> str:
    """The model's graph as Graphviz DOT, drawn by keras.utils.model_to_dot with shapes and nested models as boxes;
    kept in the cache so a re-render draws it with Graphviz alone, without Keras."""
    import keras

    try:
        dot = keras.utils.model_to_dot(model, show_shapes=True, show_layer_names=True, show_layer_activations=True,
                                       expand_nested=False, rankdir="TB", dpi=72)
    except ImportError as exc:
        raise RunError(f"architecture diagram: {exc}", hint="pip install pydot, and apt-get install graphviz") from exc
    return dot.to_string()


def code_projection(model: Any, images: np.ndarray, labels: np.ndarray, layer: str, method: str, run: str) -> dict[str, np.ndarray]:
    """The codes of these images at `layer`, flattened, projected to 2-D by PCA or t-SNE (seeded), with their labels."""
    from ..model import encoder

    try:
        codes = encoder(model, layer).predict(images, batch_size=1024, verbose=0)
    except RunError as exc:
        raise RunError(f"run '{run}': {exc.message}") from exc
    codes = np.asarray(codes, dtype=np.float32).reshape(len(images), -1)
    if method == "tsne":
        from sklearn.manifold import TSNE

        points = TSNE(n_components=2, init="pca", random_state=0, perplexity=min(30.0, (len(codes) - 1) / 3)).fit_transform(codes)
    else:
        from sklearn.decomposition import PCA

        points = PCA(n_components=2, random_state=0).fit_transform(codes)
    return {"points": np.asarray(points, dtype=np.float32), "labels": np.asarray(labels, dtype=np.int64)}


def activation_maps(model: Any, images: np.ndarray, index: int, layers: list[str], run: str) -> dict[str, np.ndarray]:
    """The input image and each layer's output for it, from a sub-model of the trained model (inference mode)."""
    import keras

    if not 0 <= index < len(images):
        raise RunError(f"run '{run}': activations image {index} is out of range: the training set has {len(images)} images")
    try:
        outputs = [model.get_layer(name).output for name in layers]
    except ValueError as exc:
        raise RunError(f"run '{run}': {str(exc).splitlines()[0]}") from exc
    probe = keras.Model(model.inputs, outputs)
    values = probe.predict(images[index:index + 1], verbose=0)
    values = values if isinstance(values, list) else [values]
    maps = {name: np.asarray(value[0], dtype=np.float32) for name, value in zip(layers, values, strict=True)}  # bf16 under mixed precision
    return {"image": np.asarray(images[index]), **maps}
