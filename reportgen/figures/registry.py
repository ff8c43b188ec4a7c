"""FIGURES: the YAML figure kinds (curves, weights, confusion, filters, activations, diagram, reconstructions, codes) mapped to makers."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..errors import RenderError
from ..registry import Registry
from ..run.result import CODES_IMAGES, DIAGRAM_PROBE, RunResult, activations_probe, codes_probe
from .activations import make_activations
from .codes import make_codes
from .confusion import make_confusion
from .diagram import render_diagram
from ._style import FONT, SMALL, WIDTH, new_figure
from .curves import make_curves
from .filters import make_filters
from .reconstructions import make_reconstructions
from .weights import make_weight_images

__all__ = ["FIGURES", "FigureMaker"]

FigureMaker = Callable[[dict[str, Any], Mapping[str, "RunResult"]], Figure | bytes]  # bytes: an SVG drawing
FIGURES: Registry[FigureMaker] = Registry("figure kind")


def _result(kind: str, results: Mapping[str, RunResult], name: str) -> RunResult:
    try:
        return results[name]
    except KeyError:
        known = ", ".join(sorted(results)) or "none"
        raise RenderError(f"{kind} figure: no result for run '{name}'; results: {known}") from None


def _failure(result: RunResult) -> str | None:
    return getattr(result, "failure", None)


def _failed_note(kind: str, result: RunResult) -> Figure:
    """In place of a figure drawn from a failed run's outputs (nan weights, no predictions): a note saying why."""
    fig = new_figure(WIDTH, 0.5)
    fig.text(0.5, 0.5, f"No {kind} figure: run '{result.name}' failed ({_failure(result)}).", ha="center", va="center",
             fontsize=FONT, wrap=True)
    return fig


def _left_out(fig: Figure, failed: Mapping[str, str | None]) -> Figure:
    """A line under a figure that shows only some of its runs: which failed runs it leaves out, and why."""
    if failed:
        text = "; ".join(f"{name} failed ({why})" for name, why in failed.items())
        fig.text(0.5, 1, f"Not shown: {text}.", ha="center", va="bottom", fontsize=SMALL)  # above: legends go below
    return fig


def _array(kind: str, result: RunResult, key: str) -> np.ndarray:
    arrays = result.arrays
    if key not in arrays:
        raise RenderError(f"{kind} figure: run '{result.name}' saved no array '{key}'; it has: {', '.join(sorted(arrays)) or 'none'}")
    return arrays[key]


@FIGURES.register("curves")
def curves(options: dict[str, Any], results: Mapping[str, RunResult]) -> Figure:
    """Loss and accuracy (or `metrics`) per epoch for `runs`, each labelled by its name."""
    runs = {name: _result("curves", results, name) for name in options["runs"]}
    # A failed run's curves up to its failure are shown, labelled as failed (nan and inf left out); one that never
    # trained (its parent failed) has none.
    unstarted = {name: _failure(result) for name, result in runs.items() if _failure(result) and not result.history}
    shown = {_label(name, result): result for name, result in runs.items() if name not in unstarted}
    if not shown:
        return _failed_note("curves", runs[next(iter(unstarted))])
    histories = {label: _finite(result.history) if _failure(result) else _mean_history(result)[0] for label, result in shown.items()}
    bands = {label: _mean_history(result)[1] for label, result in shown.items() if _seeds(result) > 1 and not _failure(result)}
    ends = {label: [phase["epochs"] for phase in result.record.get("phases", [])[:-1]] for label, result in shown.items()}
    validation = {label: _validation(result) for label, result in shown.items()}
    return _left_out(make_curves(histories, tuple(options.get("metrics") or ("loss", "accuracy")), ends, validation, bands), unstarted)


def _seeds(result: RunResult) -> int:
    return len(getattr(result, "replicates", ()) or ()) or 1


def _mean_history(result: RunResult) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """({series: mean per epoch}, {series: sample std per epoch}) over a run's seed replicates; a single run's history
    and no spread. An epoch some replicates did not reach (early stopping) averages those that did."""
    replicates = getattr(result, "replicates", ()) or ()
    if len(replicates) < 2:
        return dict(result.history), {}
    mean, std = {}, {}
    for series in [k for k in result.history if all(k in r.history for r in replicates)]:
        columns = [[r.history[series][e] for r in replicates if e < len(r.history[series])]
                   for e in range(max(len(r.history[series]) for r in replicates))]
        mean[series] = [float(np.mean(c)) for c in columns]
        std[series] = [float(np.std(c, ddof=1)) if len(c) > 1 else 0.0 for c in columns]
    return mean, std


def _validation(result: RunResult) -> str | float | None:
    """The run's `training.validation` as its record keeps it ('test', 'none' or a fraction); None if not recorded."""
    training = (result.record.get("run") or {}).get("training") or {}
    return training.get("validation")


def _label(name: str, result: RunResult) -> str:
    return f"{name} (failed)" if _failure(result) else f"{name} (mean of {_seeds(result)} seeds)" if _seeds(result) > 1 else name


def _finite(history: Mapping[str, list[float]]) -> dict[str, list[float]]:
    return {k: [v if math.isfinite(v) else math.nan for v in values] for k, values in history.items()}


@FIGURES.register("weights")
def weights(options: dict[str, Any], results: Mapping[str, RunResult]) -> Figure:
    """The kernel of `layer` (default: the first Dense layer) of `run`, one image per class."""
    result = _result("weights", results, options["run"])
    if _failure(result):
        return _failed_note("weights", result)
    layer = _dense_layer(result, options.get("layer"))
    kernel = np.asarray(_array("weights", result, f"weights/{layer}/0"))
    shape = [int(d) for d in result.record["input_shape"]]
    if kernel.ndim != 2 or kernel.shape[0] != math.prod(shape):
        rows = kernel.shape[0] if kernel.ndim == 2 else f"shape {kernel.shape}"
        raise RenderError(
            f"weights figure: layer '{layer}' of run '{result.name}' takes {rows} inputs, not the "
            f"{math.prod(shape)} values of its {'x'.join(map(str, shape))} input images; the weights figure "
            "needs a first Dense layer on the flattened input",
            hint="use a run whose dataset has `flatten: true` and whose first layer is Dense.",
        )
    return make_weight_images(kernel, shape, result.dataset["classes"], options.get("columns"))


def _dense_layer(result: RunResult, wanted: str | None) -> str:
    dense = [layer["name"] for layer in result.layers if layer.get("kind") == "Dense"]
    if wanted is None:
        if not dense:
            raise RenderError(f"weights figure: run '{result.name}' has no Dense layer; the weights figure needs "
                              "a first Dense layer on the flattened input")
        return dense[0]
    if wanted not in dense:
        kinds = {layer["name"]: layer.get("kind") for layer in result.layers}
        what = f"is a {kinds[wanted]} layer" if wanted in kinds else "has no such layer"
        raise RenderError(f"weights figure: layer '{wanted}' of run '{result.name}' {what}; "
                          f"its Dense layers: {', '.join(dense) or 'none'}")
    return wanted


@FIGURES.register("confusion")
def confusion(options: dict[str, Any], results: Mapping[str, RunResult]) -> Figure:
    """Test labels against predictions of `run`, counts or (normalize) fractions of each true class."""
    result = _result("confusion", results, options["run"])
    if _failure(result):
        return _failed_note("confusion", result)
    y_true, y_pred = _array("confusion", result, "y_test"), _array("confusion", result, "y_pred")
    return make_confusion(y_true, y_pred, result.dataset["classes"], bool(options.get("normalize", False)))


@FIGURES.register("filters")
def filters(options: dict[str, Any], results: Mapping[str, RunResult]) -> Figure:
    """Every filter of the convolution `layer` of `run` (its kernel 'weights/<layer>/0'), numbered 1..c_out."""
    result = _result("filters", results, options["run"])
    if _failure(result):
        return _failed_note("filters", result)
    layer = options.get("layer")
    kernel = result.arrays.get(f"weights/{layer}/0") if layer is not None else None
    if kernel is None or np.ndim(kernel) != 4:
        conv = _conv_layers(result)
        what = "no `layer` given" if layer is None else f"run '{result.name}' has no convolution kernel for layer '{layer}'"
        raise RenderError(f"filters figure: {what}; layers of run '{result.name}' with 4-D kernels: {', '.join(conv) or 'none'}")
    return make_filters(np.asarray(kernel), options.get("columns"))


def _conv_layers(result: RunResult) -> list[str]:
    """Layers whose first weight is a 4-D (kh, kw, c_in, c_out) kernel, in model order."""
    arrays = result.arrays
    found = [key[len("weights/"):-len("/0")] for key in arrays
             if key.startswith("weights/") and key.endswith("/0") and np.ndim(arrays[key]) == 4]
    order = {layer["name"]: i for i, layer in enumerate(result.layers)}
    return sorted(found, key=lambda name: order.get(name, len(order)))


@FIGURES.register("activations")
def activations(options: dict[str, Any], results: Mapping[str, RunResult]) -> Figure:
    """Training image `image` (default 12) of `run` and the outputs of `layers` for it, one panel per channel."""
    result = _result("activations", results, options["run"])
    if _failure(result):
        return _failed_note("activations", result)
    index = options.get("image", 12)
    probe_name = activations_probe(index)
    try:
        probe = result.probe(probe_name)
    except (KeyError, FileNotFoundError) as exc:
        raise RenderError(f"activations figure: run '{result.name}' recorded no probe '{probe_name}'") from exc
    recorded = [key for key in probe if key != "image"]
    for layer in options["layers"]:
        if layer not in recorded:
            raise RenderError(f"activations figure: run '{result.name}' recorded no output of layer '{layer}' for "
                              f"training image {index}; recorded layers: {', '.join(recorded) or 'none'}")
    if "image" not in probe:
        raise RenderError(f"activations figure: probe '{probe_name}' of run '{result.name}' has no input image; "
                          f"it has: {', '.join(recorded) or 'nothing'}")
    return make_activations(probe["image"], {layer: probe[layer] for layer in options["layers"]}, options.get("columns"))


@FIGURES.register("diagram")
def diagram(options: dict[str, Any], results: Mapping[str, RunResult]) -> bytes:
    """The architecture of `run` drawn by keras.utils.model_to_dot (kept in its cache entry) through Graphviz, as SVG."""
    result = _result("diagram", results, options["run"])
    if _failure(result):  # a failed run keeps no model to draw
        return _svg_note(f"No diagram: run '{result.name}' failed ({_failure(result)}).")
    try:
        dot = str(result.probe(DIAGRAM_PROBE)["dot"])
    except (KeyError, FileNotFoundError) as exc:
        raise RenderError(f"diagram figure: run '{result.name}' recorded no architecture diagram") from exc
    return render_diagram(dot)


@FIGURES.register("reconstructions")
def reconstructions(options: dict[str, Any], results: Mapping[str, RunResult]) -> Figure:
    """Test images of autoencoder `runs`: each original above its noisy input (denoising runs) and reconstruction."""
    runs = [_result("reconstructions", results, name) for name in options["runs"]]
    failed = {result.name: _failure(result) for result in runs if _failure(result)}
    if len(failed) == len(runs):
        return _failed_note("reconstructions", runs[0])
    runs = [result for result in runs if result.name not in failed]
    originals = None
    rows = []
    for result in runs:
        top = float(result.dataset.get("max_value", 255))  # images in [0, max]; reconstructions in [0, 1]
        original = _array("reconstructions", result, "samples/original").astype(np.float32) / top
        if originals is None:
            originals = original
        elif original.shape != originals.shape or not np.array_equal(original, originals):
            raise RenderError(f"reconstructions figure: run '{result.name}' reconstructs other test images than "
                              f"'{runs[0].name}'; show runs of one dataset together")
        if result.record.get("run", {}).get("noise"):
            rows.append((f"noisy input ({result.name})", _array("reconstructions", result, "samples/input").astype(np.float32) / top))
        rows.append((f"reconstruction ({result.name})", _array("reconstructions", result, "samples/output")))
    return _left_out(make_reconstructions(originals, rows, options.get("images", 10)), failed)


@FIGURES.register("codes")
def codes(options: dict[str, Any], results: Mapping[str, RunResult]) -> Figure:
    """The test codes of `run` at `layer` (default: its code) projected to 2-D (PCA or t-SNE), coloured by class."""
    result = _result("codes", results, options["run"])
    if _failure(result):
        return _failed_note("codes", result)
    layer = options.get("layer") or (result.record.get("code") or {}).get("layer")
    method = options.get("method", "pca")
    name = codes_probe(str(layer), method, options.get("images", CODES_IMAGES))
    try:
        probe = result.probe(name)
    except (KeyError, FileNotFoundError) as exc:
        raise RenderError(f"codes figure: run '{result.name}' recorded no probe '{name}'") from exc
    return make_codes(probe["points"], probe["labels"], result.dataset["classes"], method)


def _svg_note(text: str) -> bytes:
    """A one-line SVG drawing of text (a diagram's place when there is no model to draw)."""
    from xml.sax.saxutils import escape

    width = 12 + 6 * len(text)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="24" viewBox="0 0 {width} 24">'
            f'<text x="6" y="16" font-family="sans-serif" font-size="11">{escape(text)}</text></svg>').encode()
