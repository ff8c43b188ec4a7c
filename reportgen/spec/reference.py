"""docs/reference.md, written from the catalogue itself: every key an experiment file may hold, one source of truth."""

from __future__ import annotations

from . import catalog
from .figurekinds import FIGURE_KINDS

__all__ = ["ARG_WORDS", "reference_markdown"]

# What each argument kind of the catalogue accepts, in words (spec.args.read_arg reads them).
ARG_WORDS = {
    "pos_int": "a positive integer", "width": "a positive integer (at most the `layer_width` limit)",
    "figure_count": "a positive integer (at most the `figure_images` limit)",
    "estimator_count": "a positive integer (at most the `estimator_size` limit)", "nonneg_int": "an integer >= 0",
    "int": "an integer", "number": "a number", "interpolation": "nearest, bilinear, bicubic, area or lanczos3",
    "size": "a positive integer or a list of 1-3 of them", "shape": "a list of positive integers",
    "padding": "valid or same", "activation": "an activation (below)", "initializer": "an initializer (below)",
    "regularizer": "{l2: 0.05}, {l1: 0.01} or both",
    "bool": "true or false", "rate": "a number from 0 to 1", "unit_float": "a number from 0 to 1",
    "pos_float": "a number > 0", "nonneg_float": "a number >= 0", "monitor": "a logged metric (val_loss, val_accuracy, ...)",
    "mode": "auto, min or max", "factor": "a fraction, or a [low, high] pair", "range": "a [low, high] pair",
    "flip_mode": "horizontal, vertical or horizontal_and_vertical", "fill_mode": "reflect, wrap, constant or nearest",
    "text": "a text", "weights": "imagenet, none, or a weights file in the experiment's folder", "pooling": "avg or max",
    "texts": "a list of texts", "path": "a folder in the experiment's folder or on REPORTGEN_DATA_PATH",
    "svm_kernel": "linear, poly, rbf or sigmoid", "gamma": "scale, auto or a number > 0", "class_weight": "balanced",
    "dual": "true, false or auto", "lr_solver": "lbfgs, liblinear, newton-cg, newton-cholesky, sag or saga",
    "projection": "pca or tsne", "knn_weights": "uniform or distance",
    "run": "a run's name (a swept run: one of its variants), or `best`",
    "runs": "a run's name, a list of them (a swept run's name stands for each variant), or all",
    "metrics": f"a list of loss, {', '.join(catalog.METRICS)} (each drawn for training and validation)",
    "texts_layers": "a list of the run's named layers",
}
# The four files of an idx folder, as reportgen.data.idxfile.IDX_NAMES reads them (spec may not import data; a test
# keeps the two the same).
IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
_LAYER_KEYS = {"layer": "a named layer of the run (`name:` in its model)", "layers": "a list of the run's named layers"}
_WEIGHTS_LAYER = "a named Dense layer of the run (default: its first), on the flattened input, one unit per class"


def _args(schema: dict[str, str], required: tuple[str, ...] = ()) -> str:
    if not schema:
        return "(none)"
    return "; ".join(f"`{key}`{' (required)' if key in required else ''}: {ARG_WORDS.get(arg, arg)}" for key, arg in schema.items())


def _figures() -> list[str]:
    lines = ["| Figure | Keys | Shows |", "|---|---|---|"]
    for name, kind in FIGURE_KINDS.items():
        keys = "; ".join(f"`{key}`{' (required)' if key in kind.required else ''}: "
                         f"{_WEIGHTS_LAYER if (name, key) == ('weights', 'layer') else _LAYER_KEYS.get(key, ARG_WORDS.get(arg, arg))}"
                         for key, arg in catalog.FIGURES[name].items())
        if "runs" in kind.keys:
            keys += "; `run:` one run, read as `runs: [RUN]`"
        lines.append(f"| `{name}` | {keys}; `caption`: a text (default: one that says what the figure shows) | "
                     f"{', '.join(kind.shows)} runs; {kind.format.upper()} |")
    return lines


def _named(title: str, schema: dict[str, dict[str, str]], also: str = "") -> list[str]:
    lines = [f"| {title} | Arguments |", "|---|---|"]
    lines += [f"| `{name}` | {_args(args)} |" for name, args in schema.items()]
    return lines + ([also] if also else [])


def reference_markdown() -> str:
    """The whole reference as Markdown (docs/reference.md; tests keep the file equal to it)."""
    from .grading import _KEYS as GRADING_KEYS, GRADED_METRICS
    from .kinds import KIND_KEYS
    from .load import _DATASET, _RUN, _TOP
    from .replicates import REPLICATE_KEYS
    from .report import _BEST, _BEST_FIELDS, BEST
    from .runs import TRAINING_KEYS

    out = [
        "# Experiment file reference",
        "",
        "Generated from reportgen's catalogue by `python -m reportgen.spec.reference > docs/reference.md` (a test keeps it",
        "current): every key an experiment file may hold. The README explains what they mean together.",
        "",
        "## Top level",
        "",
        f"Keys: {', '.join(f'`{k}`' for k in _TOP)}. `title` is required; `datasets` and `runs` too, unless the file",
        "holds only a `convolution:` exercise (a workbook with nothing to train). Replicates: "
        f"{', '.join(f'`{k}`' for k in REPLICATE_KEYS)} (at the top, on a run or a swept run).",
        "",
        "`quick: {train: N, test: M, epochs: E}` (each a positive integer; default 1,000, 500 and 1): what `--quick`",
        "builds take, a stratified subset and at most E epochs per run. `grading:` (read only from a grader's reference):",
        f"{', '.join(f'`{k}`' for k in GRADING_KEYS)}; metrics among {', '.join(GRADED_METRICS)}.",
        "",
        "## Datasets",
        "",
        f"Each dataset: `source` (required), {', '.join(f'`{k}`' for k in _DATASET if k != 'source')} "
        "(`scale`: divide pixels by the source's largest value inside the model, default true; `flatten`: flatten images "
        "to vectors inside the model, for dense networks, default false; `labels`: one_hot or sparse targets, default "
        "one_hot; `subset: {train: N, test: M}`: a seeded, class-stratified subset of each split for every run of the "
        "dataset), and the source's options:",
        "",
        "| Source | Options |", "|---|---|",
        *[f"| `{name}` | {_args(options, ('path',) if name == 'idx' else ())} |" for name, options in catalog.DATA_SOURCES.items()],
        "",
        "A folder of idx files (`idx`, and the `mnist/`, `fashion_mnist/`, `notmnist/` folders of the other sources) holds "
        "the four files " + ", ".join(f"`{n}.gz`" for n in IDX_FILES) + " (gzipped or plain). A folder `NAME-anything/` "
        "of them on REPORTGEN_DATA_PATH (`mnist-5k/`) is a smaller copy, used when no full one is found, and named as such "
        "in the report.",
        "",
        "## Runs",
        "",
        f"Each run: {', '.join(f'`{k}`' for k in _RUN if k not in KIND_KEYS)}; what it fits and where it starts: "
        f"{', '.join(f'`{k}`' for k in KIND_KEYS)}.",
        "",
        f"`training:` (at the top for every run, or on a run): {', '.join(f'`{k}`' for k in TRAINING_KEYS)}. "
        "`validation`: a fraction of the training images held out (above 0, at most 0.9; default 0.1), `test` (validate "
        "on the test set) or `none`; a callback's `monitor` must be a number the training logs (loss, a metric, and their "
        "`val_` forms unless `validation: none`; Keras' short names such as val_acc are read as the full ones).",
        f"Losses: {', '.join(catalog.LOSSES)} (also {', '.join(f'{k} for {v}' for k, v in catalog.ALIASES.items())}). "
        f"Metrics: {', '.join(catalog.METRICS)}.",
        "",
        *_named("Optimizer", catalog.OPTIMIZERS, "\nEvery optimizer also takes Keras' class name: " +
                ", ".join(f"`{k}`" for k in catalog.OPTIMIZER_CLASSES) + ". Written `optimizer: sgd` or "
                "`optimizer: {SGD: {momentum: 0.9, nesterov: true}}`; `learning_rate` is a key of `training:`."),
        "",
        *_named("Callback", catalog.CALLBACKS),
        "",
        *_named("Estimator", catalog.ESTIMATORS),
        "",
        "## Layers",
        "",
        "Every layer also takes `name`. A layer's main argument may be written alone: " +
        ", ".join(f"`{layer}: {arg}`" for layer, arg in list(catalog.LAYER_MAIN_ARG.items())[:4]) + ", ...",
        "",
        "| Layer | Arguments |", "|---|---|",
        *[f"| `{name}` | {_args(args, catalog.REQUIRED_ARGS.get(name, ()))} |" for name, args in catalog.LAYERS.items()
          if name not in catalog.APPLICATIONS],
        f"| {', '.join(f'`{a}`' for a in catalog.APPLICATIONS)} | {_args(catalog.LAYERS[catalog.APPLICATIONS[0]])} "
        "(MobileNet*: also `alpha`) |",
        "",
        f"Activations: {', '.join(catalog.ACTIVATIONS)}. Initializers: {', '.join(catalog.INITIALIZERS)}.",
        "",
        "## Report blocks",
        "",
        "`report: {sections: [{title: ..., content: [BLOCK, ...]}]}`; each block is one of:",
        "",
        "| Block | Keys |", "|---|---|",
        "| `text` | a Markdown file in the experiment's folder (`text: answers/pw04.md`) |",
        "| `markdown` | Markdown written in place |",
        f"| `table` | `runs` (default all), `columns` (default {', '.join(catalog.DEFAULT_COLUMNS)}), `caption` |",
        f"| `best` | `runs` (required), `metric` ({', '.join(_BEST)}; default test_accuracy, test_mse for autoencoders), "
        f"`text` with the placeholders {', '.join('{' + f + '}' for f in _BEST_FIELDS)} (`{{choice}}`: what the best run's "
        "sweep chose, e.g. 128 or flip_translate) |",
        "| `convolution` | `{}`: the tables of the top-level `convolution:` exercise |",
        "",
        f"Table columns: {', '.join(catalog.COLUMNS)}.",
        "",
        "Figures (`confusion: {run: cnn}`):",
        "",
        *_figures(),
        "",
        f"`run: {BEST}` in a figure shows the run that the nearest `best:` block before it in its section names (by that",
        "block's metric), else the best by test accuracy (test MSE for autoencoders) of the nearest table before it; the",
        "caption names the run chosen and its value.",
        "",
        "## The convolution exercise",
        "",
        "`convolution: {conv1d: ..., conv2d: ...}` (either or both):",
        "",
        "- `conv1d`: `input` (a list of numbers, required), `kernel` (required), `bias` (default 0), `cases` (a list of "
        "`{stride: S, padding: P}`; default the sheet's five);",
        "- `conv2d`: `input` (channels, each a grid of rows, required), `filters` (a list of `{weights: channels of "
        "grids, bias: B}`, required), `sizes` (the `{stride, padding}` cases whose output volume is asked; default S=1, "
        "P=0 and S=2, P=0), `values` (the `{stride, padding}` whose output values are computed; default S=1, P=0).",
        "",
    ]
    return "\n".join(out)


if __name__ == "__main__":
    print(reference_markdown(), end="")
