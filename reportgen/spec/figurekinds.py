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


def _runs(names: Any) -> str:
    """Run names as a caption lists them: 'a', 'a and b', 'a, b and c'."""
    names = [str(n) for n in ([names] if isinstance(names, str) else names)]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _curves_caption(options: Mapping[str, Any]) -> str:
    metrics = [str(m).replace("_", " ") for m in options.get("metrics") or ("loss", "accuracy")]
    what = _runs(metrics)
    return (f"{what[:1].upper()}{what[1:]} per epoch of {_runs(options['runs'])} (solid: training data; dashed: the data "
            "validated on after each epoch, which the legend names: a held-out part of the training set, or the test set).")


def _weights_caption(options: Mapping[str, Any]) -> str:
    layer = f" (layer {options['layer']})" if options.get("layer") else ""
    return (f"Weights of {options['run']}{layer}, one image per class: for grey-scale inputs red is a positive weight, "
            "blue a negative one and white zero, on one scale for all classes; for colour inputs each of an image's red, "
            "green and blue channels is scaled on its own from its lowest weight (dark) to its highest (full colour).")


def _filters_caption(options: Mapping[str, Any]) -> str:
    return (f"Filters of layer {options['layer']} of {options['run']}: a filter on 3 input channels is drawn in colour, "
            "each of its red, green and blue channels scaled on its own from its lowest weight (dark) to its highest (full "
            "colour); a filter on other inputs as its mean over them, red positive, blue negative and white zero, on one "
            "scale for all filters.")


def _confusion_caption(options: Mapping[str, Any]) -> str:
    cells = "the fraction of each true class" if options.get("normalize") else "test-image counts"
    return f"Confusion matrix of {options['run']} on the test set: true classes in rows, predicted classes in columns, {cells}."


def _codes_caption(options: Mapping[str, Any]) -> str:
    method = "t-SNE" if options.get("method") == "tsne" else "PCA"
    layer = f"layer {options['layer']}" if options.get("layer") else "its code layer"
    return (f"Codes of the first {options.get('images', CODES_IMAGES):,} test images by {options['run']} ({layer}), projected to "
            f"2-D by {method}, coloured by class.")


FIGURE_KINDS: dict[str, FigureKind] = {
    "curves": FigureKind(
        {"runs": "runs", "metrics": "metrics"}, required=("runs",),
        caption=_curves_caption),
    "weights": FigureKind(
        {"run": "run", "layer": "text", "columns": "pos_int"}, required=("run",), shows=KERAS_RUNS,
        caption=_weights_caption),
    "confusion": FigureKind(
        {"run": "run", "normalize": "bool"}, required=("run",), shows=("classify", "estimator"),
        caption=_confusion_caption),
    "filters": FigureKind(
        {"run": "run", "layer": "text", "columns": "pos_int"}, required=("run", "layer"), shows=KERAS_RUNS,
        caption=_filters_caption),
    "activations": FigureKind(
        {"run": "run", "layers": "texts", "image": "nonneg_int", "columns": "pos_int"}, required=("run", "layers"), shows=KERAS_RUNS,
        caption=lambda o: (f"Activation maps of training image {o.get('image', 12)} at the outputs of {_runs(o['layers'])} "
                           f"of {o['run']}, one panel per channel."),
        probe=lambda o, run: {activations_probe(o.get("image", 12)): ["image", *o["layers"]]}),
    "diagram": FigureKind(
        {"run": "run"}, required=("run",), shows=KERAS_RUNS, format="svg",
        caption=lambda o: f"Architecture of {o['run']}: each layer with its input and output shapes (drawn by Keras' plot_model "
                          "and Graphviz).",
        probe=lambda o, run: {DIAGRAM_PROBE: ["dot"]}),
    "reconstructions": FigureKind(
        {"runs": "runs", "images": "pos_int"}, required=("runs",), shows=("reconstruct",),
        caption=lambda o: (f"Test images (top row) and their reconstructions by {_runs(o['runs'])}; a denoising run shows "
                           "the noisy input it received above its reconstruction.")),
    "codes": FigureKind(
        {"run": "run", "layer": "text", "method": "projection", "images": "pos_int"}, required=("run",), shows=KERAS_RUNS,
        caption=_codes_caption,
        probe=lambda o, run: {codes_probe(o.get("layer") or run.code, o.get("method", "pca"), o.get("images", CODES_IMAGES)):
                              ["points", "labels"]}),
}
