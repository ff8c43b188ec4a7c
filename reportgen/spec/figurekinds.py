"""FIGURE_KINDS: one declaration per figure kind: its YAML keys, file format, runs it shows, default caption and probe."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CODES_IMAGES", "DIAGRAM_PROBE", "FIGURE_KINDS", "FigureKind", "activations_probe", "codes_probe"]

KERAS_RUNS = ("classify", "reconstruct")
DIAGRAM_PROBE = "diagram"  # the model drawn as Graphviz DOT
CODES_IMAGES = 2000  # test images whose codes a codes figure projects, by default


def activations_probe(image: int) -> str:
    """The name under which a run's entry keeps the activation maps of training image `image`."""
    return f"activations-train-{image}"


def codes_probe(layer: str, method: str, images: int) -> str:
    """The name under which a run's entry keeps a 2-D projection of the codes of its first `images` test images."""
    return f"codes-{layer}-{method}-{images}"


Probe = Callable[[Mapping[str, Any], Any], dict[str, list[str]]]  # (options, the run's RunSpec) -> {probe: arrays}


@dataclass(frozen=True)
class FigureKind:
    """What a figure kind is, everywhere but its drawing (figures.registry) and its probe's computation (run.probes)."""

    keys: dict[str, str]  # the YAML keys its block takes (besides `caption`) and their argument kinds
    caption: Callable[[Mapping[str, Any]], str]  # its default caption, from the block's options
    required: tuple[str, ...] = ()
    shows: tuple[str, ...] = ("classify", "reconstruct", "estimator")  # the run kinds it can show
    format: str = "png"  # or "svg" (a drawing)
    probe: Probe | None = field(default=None)  # what it needs computed from the trained model, kept in the cache


def _codes_caption(options: Mapping[str, Any]) -> str:
    method = "t-SNE" if options.get("method") == "tsne" else "PCA"
    layer = f"layer {options['layer']}" if options.get("layer") else "its code layer"
    return (f"Codes of the first {options.get('images', CODES_IMAGES):,} test images by {options['run']} ({layer}), projected to "
            f"2-D by {method}, coloured by class.")


FIGURE_KINDS: dict[str, FigureKind] = {
    "curves": FigureKind(
        {"runs": "runs", "metrics": "metrics"}, required=("runs",),
        caption=lambda o: f"Loss and accuracy per epoch of {', '.join(o['runs'])} (solid: train, dashed: validation)."),
    "weights": FigureKind(
        {"run": "run", "layer": "text", "columns": "pos_int"}, required=("run",), shows=KERAS_RUNS,
        caption=lambda o: f"Weights of {o['run']}, one image per class, normalised per channel to 0-255."),
    "confusion": FigureKind(
        {"run": "run", "normalize": "bool"}, required=("run",), shows=("classify", "estimator"),
        caption=lambda o: f"Confusion matrix of {o['run']} on the test set."),
    "filters": FigureKind(
        {"run": "run", "layer": "text", "columns": "pos_int"}, required=("run", "layer"), shows=KERAS_RUNS,
        caption=lambda o: f"Filters of layer {o['layer']} of {o['run']}."),
    "activations": FigureKind(
        {"run": "run", "layers": "texts", "image": "nonneg_int", "columns": "pos_int"}, required=("run", "layers"), shows=KERAS_RUNS,
        caption=lambda o: (f"Activation maps of training image {o.get('image', 12)} at the outputs of {', '.join(o['layers'])} "
                           f"of {o['run']}, one panel per channel."),
        probe=lambda o, run: {activations_probe(o.get("image", 12)): ["image", *o["layers"]]}),
    "diagram": FigureKind(
        {"run": "run"}, required=("run",), shows=KERAS_RUNS, format="svg",
        caption=lambda o: f"Architecture of {o['run']}: each layer with its input and output shapes (drawn by Keras' plot_model "
                          "and Graphviz).",
        probe=lambda o, run: {DIAGRAM_PROBE: ["dot"]}),
    "reconstructions": FigureKind(
        {"runs": "runs", "images": "pos_int"}, required=("runs",), shows=("reconstruct",),
        caption=lambda o: (f"Test images (top row) and their reconstructions by {', '.join(o['runs'])}; a denoising run shows "
                           "the noisy input it received above its reconstruction.")),
    "codes": FigureKind(
        {"run": "run", "layer": "text", "method": "projection", "images": "pos_int"}, required=("run",), shows=KERAS_RUNS,
        caption=_codes_caption,
        probe=lambda o, run: {codes_probe(o.get("layer") or run.code, o.get("method", "pca"), o.get("images", CODES_IMAGES)):
                              ["points", "labels"]}),
}
