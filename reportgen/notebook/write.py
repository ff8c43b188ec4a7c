"""The notebook of an experiment: Markdown and code cells from the spec and its recorded inputs, and each run's weights."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import write_text
from ..spec import ExperimentSpec
from ..spec.select import block_runs
from .code import Identifiers, NotExportable, literal
from .kit_data import file_name
from .runs import Context, backbone_names, group_runs, run_cells

__all__ = ["KIT", "METRICS_TAG", "WEIGHTS", "export_weights", "notebook_cells", "notebook_inputs", "read_inputs",
           "write_notebook"]

WEIGHTS = "notebook"  # the folder beside the notebook with each run's weights and history
KIT = ("kit_data.py", "kit_train.py", "kit_report.py")
METRICS_TAG = "reportgen-metrics"  # the cell whose output verify compares with results.json
_HERE = Path(__file__).parent


def _markdown(text: str) -> str:
    """Student Markdown as the report shows it: rendered and sanitised (an allow-list of tags, http links only), then
    written as one raw HTML block that no Markdown renderer reads again (no blank line in it; Markdown's punctuation
    and line ends in its text are character references)."""
    from ..report.markdown import markdown_to_html

    parts = re.split(r"(<[^>]*>)", markdown_to_html(text))
    return "<div>" + "".join(part if part.startswith("<") else _references(part) for part in parts) + "</div>"


def _references(text: str) -> str:
    return "".join(f"&#{ord(ch)};" if ch in _MARKDOWN_PUNCTUATION else ch for ch in text)


_MARKDOWN_PUNCTUATION = set("\\`*_[]()#+-!|{}~<>$\n\r")


def _plain(text: str) -> str:
    """Student text (a title, a caption, a run's name) shown as itself in a Markdown cell, on one line."""
    return _references(html.escape(" ".join(str(text).split()), quote=False))


def _kit(name: str) -> str:
    source = (_HERE / name).read_text(encoding="utf-8").split('"""', 2)[2].lstrip("\n")
    lines = source.splitlines(keepends=True)  # without the module docstring and the comment under it: the Markdown cell says it
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    return "".join(lines).lstrip("\n")


def _setup(spec: ExperimentSpec, backend: str) -> str:
    from ..limits import limit

    return f'''\
# True: train every run from scratch (the same numbers on the same backend and versions)
RETRAIN = False

import json
import os
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", {backend!r})  # the backend the runs were trained on
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's C++ start-up lines

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

pd.set_option("display.max_colwidth", None)  # a table's cells in full

WEIGHTS = Path({WEIGHTS!r})  # each run's trained weights and history, beside this notebook
# values a forward-only batch may hold: evaluation batches are sized by it
BATCH_VALUES = {limit("batch_values")}
DATA, MODELS, RESULTS, HISTORY, PREDICTIONS, SAMPLES = {{}}, {{}}, {{}}, {{}}, {{}}, {{}}
'''


_READERS = ("load_digits_split", "load_idx", "load_npz", "load_cifar10", "load_food101")
_KERAS_DATASETS = ("mnist", "fashion_mnist", "cifar10")


def _place(path: Path) -> dict[str, str]:
    """Where a data file or folder is, as the notebook finds it: its name under a REPORTGEN_DATA_PATH folder or Keras'
    datasets folder (the same on a teacher's machine), else its absolute path (a system folder)."""
    from ..data.paths import keras_datasets_dir, search_path

    for root in [*search_path(), keras_datasets_dir()]:
        try:
            return {"find": path.absolute().relative_to(root.absolute()).as_posix()}
        except ValueError:
            continue
    return {"path": str(path.absolute())}


def data_inputs(dataset: Any, found: Any) -> dict[str, Any]:
    """How the notebook reads a dataset as reportgen found it: {reader, place, ...} (its files, or Keras' download)."""
    source, files = dataset.source, [Path(f) for f in found.files]
    if source == "digits":
        return {"reader": "load_digits_split"}
    if source in ("mnist", "fashion_mnist", "notmnist", "cifar10", "idx"):
        if not files:
            if source not in _KERAS_DATASETS:
                raise NotExportable(f"dataset '{dataset.name}': {source} is not in local files yet (build the report first)")
            return {"reader": "keras.datasets", "name": source}
        if files[0].suffix == ".npz":
            return {"reader": "load_npz", **_place(files[0])}
        if source == "cifar10":
            return {"reader": "load_cifar10", **_place(files[0] if len(files) == 1 else files[0].parent)}
        return {"reader": "load_idx", **_place(files[0].parent)}
    if source == "food101":
        from ..data.food101 import DEFAULT_IMAGE_SIZE, _image_size

        size = _image_size(dataset.options.get("image_size", DEFAULT_IMAGE_SIZE))
        classes = dataset.options.get("classes")
        if classes is None:
            classes = len([line for line in Path(found.origin, "meta", "classes.txt").read_text().splitlines() if line.strip()])
        return {"reader": "load_food101", **_place(Path(found.origin)), "classes": int(classes), "size": list(size)}
    raise NotExportable(f"dataset '{dataset.name}': source '{source}' has no reader in the notebook yet")


def _loader(data: dict[str, Any]) -> str:
    """The call that reads a dataset, from its recorded inputs (each checked: a known reader, literals only)."""
    reader = data["reader"]
    if reader == "keras.datasets":
        if data["name"] not in _KERAS_DATASETS:
            raise NotExportable(f"unknown Keras dataset {data['name']!r:.40}")
        return f"keras.datasets.{data['name']}.load_data()"
    if reader not in _READERS:
        raise NotExportable(f"unknown reader {reader!r:.40}")
    if reader == "load_digits_split":
        return "load_digits_split()"
    place = f"find({literal(str(data['find']))})" if "find" in data else f"Path({literal(str(data['path']))})"
    if reader == "load_food101":
        size = tuple(int(v) for v in data["size"])
        return f"load_food101({place}, classes={int(data['classes'])}, size={literal(size)})"
    return f"{reader}({place})"


def _data_cell(spec: ExperimentSpec, data: dict[str, Any]) -> str:
    lines: list[str] = []
    loaded: dict[str, str] = {}
    for name in spec.datasets:
        if name not in data:
            continue
        if "error" in data[name]:
            raise NotExportable(str(data[name]["error"]))
        expression = _loader(data[name])
        if expression in loaded:
            lines.append(f"DATA[{literal(name)}] = DATA[{literal(loaded[expression])}]")
        else:
            loaded[expression] = name
            lines.append(f"DATA[{literal(name)}] = as_dataset({expression})")
    lines.append("for name, ((x_train, y_train), (x_test, y_test)) in DATA.items():")
    lines.append("    print(f'{name}: {len(x_train):,} training and {len(x_test):,} test images of shape {x_train.shape[1:]}')")
    return "\n".join(lines) + "\n"


def table_inputs(block: Any, spec: ExperimentSpec, results: Mapping[str, Any]) -> list[list[Any]]:
    """[run, {column: cell}] of a table's settings columns, as the report describes each run (its results columns are
    computed by the notebook)."""
    from ..report.tables import COLUMNS
    from .kit_report import RESULT_COLUMNS

    rows = []
    for name in block.options["runs"]:
        res = results.get(name)
        rows.append([name, {c: COLUMNS.get(c).cell(name, spec.runs[name], res) for c in _columns(block)
                            if c not in RESULT_COLUMNS and res is not None}])
    return rows


def _columns(block: Any) -> list[str]:
    return list(block.options.get("columns") or ["run", "architecture", "params", "hyperparameters", "train_accuracy",
                                                  "test_accuracy"])


def _table(block: Any, rows: list[list[Any]], number: int) -> str:
    from ..report.tables import COLUMNS

    columns = _columns(block)
    headers = [(c, COLUMNS.get(c).header) for c in columns]
    described = [[str(name), {c: str(cells[c]) for c in columns if c in cells}] for name, cells in rows]  # in column order
    caption = block.options.get("caption") or ""
    return (f"# Table {number}: the settings as the report describes them; every result from this notebook's runs\n"
            f"table_{number} = results_table({literal(described, False)}, {literal(headers, False)})\n"
            f"print({literal(f'Table {number}. {caption}')})\n"
            f"table_{number}")


def _figure(block: Any, spec: ExperimentSpec) -> str | None:
    kind, options = block.options.get("kind"), block.options
    if kind == "curves":
        metrics = options.get("metrics") or ["loss", "accuracy"]
        return (f"metrics = {literal(list(metrics), False)}\n"
                "fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.5), squeeze=False)\n"
                f"for name in {literal(list(options['runs']), False)}:\n"
                "    histories = list(HISTORY[name].values())\n"
                "    for ax, metric in zip(axes[0], metrics):\n"
                "        for key, style in ((metric, '-'), (f'val_{metric}', '--')):\n"
                "            if key in histories[0]:\n"
                "                values = np.mean([h[key] for h in histories], axis=0)\n"
                "                ax.plot(range(1, len(values) + 1), values, style, label=f'{name} {key}')\n"
                "for ax, metric in zip(axes[0], metrics):\n"
                "    ax.set_xlabel('epoch')\n"
                "    ax.set_ylabel(metric)\n"
                "    ax.legend(fontsize=7)\n"
                "plt.show()")
    if kind == "confusion":
        return ("from sklearn.metrics import ConfusionMatrixDisplay\n"
                f"y_true, y_pred = PREDICTIONS[{literal(options['run'])}]\n"
                "ConfusionMatrixDisplay.from_predictions(y_true, y_pred, cmap='Blues', colorbar=False)\n"
                f"plt.title({literal(options['run'])})\n"
                "plt.show()")
    if kind == "weights":
        return (f"model = MODELS[{literal(options['run'])}]\n"
                "kernel = next(layer for layer in model.layers if layer.get_weights()).get_weights()[0]\n"
                f"side = int(np.sqrt(kernel.shape[0]))\n"
                "fig, axes = plt.subplots(1, kernel.shape[1], figsize=(1.2 * kernel.shape[1], 1.5))\n"
                "scale = np.abs(kernel).max()\n"
                "for i, ax in enumerate(np.atleast_1d(axes)):\n"
                "    ax.imshow(kernel[: side * side, i].reshape(side, side), cmap='bwr', vmin=-scale, vmax=scale)\n"
                "    ax.set_title(str(i), fontsize=8)\n"
                "    ax.axis('off')\n"
                "plt.show()")
    if kind == "reconstructions":
        return ("for name in " + literal(list(options["runs"]), False) + ":\n"
                "    original, given, output = SAMPLES[name]\n"
                f"    n = min({int(options.get('images', 10))}, len(original))\n"
                "    fig, axes = plt.subplots(3, n, figsize=(n, 3), squeeze=False)\n"
                "    for i in range(n):\n"
                "        for row, images in enumerate((original, given, output)):\n"
                "            axes[row][i].imshow(np.squeeze(images[i]), cmap='gray')\n"
                "            axes[row][i].axis('off')\n"
                "    fig.suptitle(f'{name}: original, input, reconstruction')\n"
                "    plt.show()")
    if kind == "filters":
        return (f"kernel = MODELS[{literal(options['run'])}].get_layer({literal(options['layer'])}).get_weights()[0]"
                "  # (height, width, channels, filters)\n"
                "low, high = kernel.min(axis=(0, 1), keepdims=True), kernel.max(axis=(0, 1), keepdims=True)\n"
                "images = ((kernel - low) / np.maximum(high - low, 1e-12) * 255).astype(np.uint8)  # each channel to 0-255\n"
                "n = images.shape[-1]\n"
                "columns = min(n, 8)\n"
                "fig, axes = plt.subplots(-(-n // columns), columns, figsize=(columns, -(-n // columns)), squeeze=False)\n"
                "for i, ax in enumerate(axes.flat):\n"
                "    ax.axis('off')\n"
                "    if i < n:\n"
                "        image = images[..., i]\n"
                "        ax.imshow(image if image.shape[-1] == 3 else image[..., 0], cmap=None if image.shape[-1] == 3 else 'gray')\n"
                "plt.show()")
    if kind == "activations":
        layers = list(options.get("layers") or [])
        return (f"model = MODELS[{literal(options['run'])}]\n"
                f"layers = {literal(layers, False)}\n"
                "probe = keras.Model(model.inputs, [model.get_layer(layer).output for layer in layers])\n"
                f"(x_train, _), _ = DATA[{literal(spec.runs[options['run']].dataset)}]  # the whole training set, as the report\n"
                f"image = x_train[{int(options.get('image', 0))}]\n"
                "maps = probe.predict(image[np.newaxis], verbose=0)\n"
                "maps = maps if isinstance(maps, list) else [maps]\n"
                "plt.figure(figsize=(2, 2))\n"
                "plt.imshow(np.squeeze(image), cmap=None if image.shape[-1] == 3 else 'gray')\n"
                "plt.axis('off')\n"
                "plt.title('input')\n"
                "for layer, values in zip(layers, maps):\n"
                "    channels = values.shape[-1]\n"
                "    columns = min(channels, 16)\n"
                "    fig, axes = plt.subplots(-(-channels // columns), columns, figsize=(columns * 0.8, -(-channels // columns) * 0.8),"
                " squeeze=False)\n"
                "    for i, ax in enumerate(axes.flat):\n"
                "        ax.axis('off')\n"
                "        if i < channels:\n"
                "            ax.imshow(values[0, ..., i], cmap='viridis')\n"
                "    fig.suptitle(layer)\n"
                "plt.show()")
    if kind == "codes":  # needs the spec: the run's code layer by default
        from ..spec.figurekinds import CODES_IMAGES

        method = options.get("method", "pca")
        images = int(options.get("images", CODES_IMAGES))
        layer = options.get("layer")
        projector = ("TSNE(n_components=2, init='pca', random_state=0, perplexity=min(30.0, (len(codes) - 1) / 3))"
                     if method == "tsne" else "PCA(n_components=2, random_state=0)")
        module = "sklearn.manifold import TSNE" if method == "tsne" else "sklearn.decomposition import PCA"
        return (f"from {module}\n\n"
                f"_, (x_test, y_test) = DATA[{literal(spec.runs[options['run']].dataset)}]  # the whole test set, as the report\n"
                f"images, labels = x_test[:{images}], y_test[:{images}]\n"
                f"layer = {literal(layer or spec.runs[options['run']].code)}\n"
                f"codes = encoder(MODELS[{literal(options['run'])}], layer).predict(images, batch_size=1024, verbose=0)\n"
                "codes = np.asarray(codes, dtype=np.float32).reshape(len(images), -1)\n"
                f"points = {projector}.fit_transform(codes)\n"
                "plt.figure(figsize=(5, 4))\n"
                "plt.scatter(points[:, 0], points[:, 1], c=labels, cmap='tab10', s=6)\n"
                "plt.colorbar()\n"
                f"plt.title({literal(options['run'])} + f' ({{layer}}), {method}')\n"
                "plt.show()")
    if kind == "diagram":
        return ("from IPython.display import Image\n\n"
                f"dot = keras.utils.model_to_dot(MODELS[{literal(options['run'])}], show_shapes=True, show_layer_names=True, "
                "show_layer_activations=True, dpi=72)  # Graphviz draws it\n"
                "Image(dot.create_png())")
    return None


def notebook_inputs(spec: ExperimentSpec, results: Mapping[str, Any], locate: Callable[[Any], Any],
                    backend: str = "tensorflow") -> dict[str, Any]:
    """What the notebook is generated from besides the spec, as JSON (it is kept in the notebook's metadata, so that
    verify regenerates the same cells): each run's input shape, classes and pixel range; how each dataset is read;
    each table's settings cells; the backend."""
    runs = {name: {"input_shape": list(r.record["input_shape"]), "classes": list(r.dataset["classes"]),
                   "max_value": int(r.dataset["max_value"])}
            for name, r in results.items() if "dataset" in r.record and r.record.get("input_shape") and not r.failed}
    data: dict[str, Any] = {}
    for name, dataset in spec.datasets.items():
        try:
            data[name] = data_inputs(dataset, locate(dataset))
        except NotExportable as exc:
            data[name] = {"error": exc.message}
    tables, number = {}, 0
    for section in spec.sections:
        for block in section.blocks:
            if block.kind == "table":
                number += 1
                tables[str(number)] = table_inputs(block, spec, results)
    return {"version": INPUTS_VERSION, "backend": backend, "runs": runs, "data": data, "tables": tables}


INPUTS_VERSION = 1


def read_inputs(notebook: Mapping[str, Any]) -> dict[str, Any]:
    """The generation inputs a notebook records (metadata.reportgen), checked for their shape; ValueError if absent."""
    inputs = (notebook.get("metadata") or {}).get("reportgen")
    if not isinstance(inputs, dict) or inputs.get("version") != INPUTS_VERSION:
        raise ValueError("no reportgen inputs in its metadata")
    for key, kind in (("backend", str), ("runs", dict), ("data", dict), ("tables", dict)):
        if not isinstance(inputs.get(key), kind):
            raise ValueError(f"metadata.reportgen.{key}: expected a {kind.__name__}")
    for name, run in inputs["runs"].items():
        if not (isinstance(run, dict) and isinstance(run.get("input_shape"), list) and isinstance(run.get("classes"), list)
                and all(isinstance(d, int) and not isinstance(d, bool) for d in run["input_shape"])
                and isinstance(run.get("max_value"), int)):
            raise ValueError(f"metadata.reportgen.runs.{name}: expected input_shape, classes and max_value")
    return inputs


def notebook_cells(spec: ExperimentSpec, inputs: Mapping[str, Any]) -> tuple[list[tuple[str, str, list[str]]], list[str]]:
    """[(kind 'markdown' or 'code', source, tags)] for the whole notebook from the spec and notebook_inputs', and the
    one-line problems of what could not be exported (the rest is written)."""
    problems: list[str] = []
    cells: list[tuple[str, str, list[str]]] = []

    def md(text: str) -> None:
        cells.append(("markdown", text, []))

    def code(text: str, tags: list[str] | None = None) -> None:
        cells.append(("code", text, tags or []))

    who = ", ".join(_plain(a) for a in spec.authors) or "(no authors given)"
    md(f"# {_plain(spec.title)}\n\n{_plain(' – '.join(x for x in (spec.course, spec.pw) if x))}  \nAuthors: {who}\n\n"
       f"Plain Keras code for every run of <code>{_plain(Path(spec.file).name)}</code> ({spec.profile} profile). It loads each "
       f"run's trained weights from `{WEIGHTS}/` and evaluates them; set `RETRAIN = True` below to train everything from "
       "scratch instead (the same numbers, on the same backend and versions).")
    backend = str(inputs["backend"])
    if backend not in ("tensorflow", "jax", "torch"):
        raise NotExportable(f"unknown Keras backend {backend!r:.40}")
    code(_setup(spec, backend))
    md("## Helpers\n\nReading the course's data files, seeded stratified subsets and splits, fitting and evaluating a run, "
       "and printing results as the report does. Plain numpy and Keras: nothing here needs reportgen.")
    for name in KIT:
        code(_kit(name))
    md("## Data")
    try:
        code(_data_cell(spec, inputs["data"]))
    except NotExportable as exc:
        problems.append(exc.message)
        code(f"raise RuntimeError({literal(exc.message)})")
    recorded = inputs["runs"]
    ctx = Context(spec, {n: tuple(int(d) for d in r["input_shape"]) for n, r in recorded.items()},
                  {n: {"classes": list(r["classes"]), "max_value": int(r["max_value"])} for n, r in recorded.items()},
                  Identifiers({"keras", "np", "pd", "plt", "json", "os", "time", "Path", "data", "model", "name", "seed",
                               "file", "history", "metrics", "callbacks", "x", "y", "parent", "base"}))
    groups = {run.name: group for group in group_runs(list(spec.runs.values())) for run in group.runs}
    written: set[int] = set()
    exported: set[str] = set()

    def runs_of(names: list[str]) -> None:
        for name in names:
            group = groups.get(name)
            if group is None or id(group) in written:
                continue
            for parent in group.runs[0].parents():
                runs_of([parent])
            written.add(id(group))
            label = ", ".join(f"<code>{_plain(r.name)}</code>" for r in group.runs)
            titles = "; ".join(_plain(r.title) for r in group.runs[:1] if r.title)
            md(f"### {label}" + (f"\n\n{titles}" if titles else ""))
            if any(r.name not in recorded for r in group.runs):
                problems.append(f"run '{group.runs[0].name}': no result to export (it failed or was not built)")
                continue
            if group.runs[0].parents() and not all(p in exported for p in group.runs[0].parents()):
                problems.append(f"run '{group.runs[0].name}': its parent could not be exported")
                continue
            try:
                source, loop = run_cells(group, ctx)
            except NotExportable as exc:
                problems.append(exc.message if exc.message.startswith("run '") else f"run '{group.runs[0].name}': {exc.message}")
                md(f"*Not exported:* {_plain(problems[-1])}")
                continue
            if source:
                code(source)
            code(loop)
            exported.update(r.name for r in group.runs)

    tables = 0
    for section in spec.sections:
        md(f"## {_plain(section.title)}")
        for block in section.blocks:
            runs_of(block_runs(block))
            if block.kind == "text" and block.options.get("markdown"):
                md(_markdown(block.options["markdown"]))
            elif block.kind == "table":
                tables += 1
                rows = inputs["tables"].get(str(tables))
                if rows is not None and all(r in exported for r in block.options["runs"]):
                    code(_table(block, rows, tables))
            elif block.kind == "figure":
                made = _figure(block, spec)
                if made is None:
                    problems.append(f"figure {block.options.get('kind')!r:.40}: the notebook does not draw it")
                if made and all(r in exported for r in block_runs(block)):
                    caption = block.options.get("caption") or ""
                    md(f"*{_plain(block.options['kind'])}*: {_plain(caption)}" if caption else f"*{block.options['kind']}*")
                    code(made)
    left = [name for name in spec.runs if id(groups[name]) not in written]
    if left:
        md("## Other runs")
        runs_of(left)
    md("## Every run's metrics\n\nThe numbers this notebook computed, as `results.json` of the report holds them "
       "(`reportgen verify` compares the two).")
    code("print(json.dumps({name: {str(seed): r['metrics'] for seed, r in seeds.items()} for name, seeds in RESULTS.items()}, "
         "indent=1, sort_keys=True))", [METRICS_TAG])
    return cells, problems


def format_code(sources: list[str]) -> list[str]:
    """Each source formatted by ruff (black's style), in one call; unchanged where ruff is not installed."""
    marker = "# ---- reportgen cell ----"
    joined = f"\n{marker}\n".join(sources)
    try:
        done = subprocess.run([sys.executable, "-m", "ruff", "format", "--line-length", "100", "-"], input=joined,
                              capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return sources
    if done.returncode != 0:
        return sources
    parts = done.stdout.split(marker)
    return [part.strip("\n") for part in parts] if len(parts) == len(sources) else sources


def write_notebook(cells: list[tuple[str, str, list[str]]], path: Path, inputs: Mapping[str, Any]) -> None:
    """The cells as an nbformat 4 notebook, code formatted, fixed cell ids, the generation inputs in its metadata."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    sources = [source for kind, source, _ in cells if kind == "code"]
    for source in sources:  # generated code that is not Python is reportgen's bug: never written
        compile(source, str(path), "exec")
    formatted = iter(format_code(sources))
    out = []
    for i, (kind, source, tags) in enumerate(cells):
        if kind == "code":
            out.append(new_code_cell(next(formatted), id=f"cell-{i}", metadata={"tags": tags} if tags else {}))
        else:
            out.append(new_markdown_cell(source, id=f"cell-{i}"))
    notebook = new_notebook(cells=out, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
        "language_info": {"name": "python"}, "reportgen": dict(inputs)})
    nbformat.validate(notebook)
    write_text(path, nbformat.writes(notebook))


def _export_backbones(names: tuple[str, ...], result: Any, stem: Path) -> None:
    """Each backbone of the run's trained model saved as a model of its own (stem.NAME.keras), as the notebook's save_run
    writes them: it loads them as trained, where Keras' constructor builds another architecture without ImageNet weights."""
    import keras

    from ..model import backbones  # noqa: F401  (registers the preprocessing layer the saved model holds)

    model = keras.models.load_model(result.cache.model_file(result.key), compile=False)
    for name in names:
        model.get_layer(name).save(f"{stem}.{name}.keras")


def export_weights(spec: ExperimentSpec, results: Mapping[str, Any], folder: Path) -> int:
    """Each trained run's weights (by layer name) and history, as the notebook's save_run writes them; the count."""
    folder.mkdir(parents=True, exist_ok=True)
    n = 0
    for name, result in results.items():
        for replicate in (result.replicates or (result,)):
            if replicate.failed or spec.runs[name].kind == "estimator":
                continue
            seed = replicate.seed if replicate.seed is not None else spec.runs[name].training.seed
            stem = file_name(name, seed)
            backbones = backbone_names(spec.runs[name])
            arrays = {k.removeprefix("weights/"): v for k, v in replicate.arrays.items()
                      if k.startswith("weights/") and k.split("/")[1] not in backbones}
            np.savez(folder / f"{stem}.weights.npz", **arrays)
            history: dict[str, Any] = dict(replicate.history)
            history["seconds"] = replicate.seconds
            phases = replicate.record.get("phases") or []
            if phases:
                history["head"] = phases[0]["test"]
            write_text(folder / f"{stem}.history.json", json.dumps(history))
            if backbones:
                _export_backbones(backbones, replicate, folder / stem)
            n += 1
    return n
