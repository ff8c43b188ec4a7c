"""The notebook of an experiment: Markdown and code cells from the spec and its results, formatted, with each run's
weights and history exported beside it (build/NAME/notebook/)."""

from __future__ import annotations

import html
import json
import os
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
from .runs import Context, group_runs, run_cells

__all__ = ["KIT", "WEIGHTS", "export_weights", "notebook_cells", "write_notebook"]

WEIGHTS = "notebook"  # the folder beside the notebook with each run's weights and history
KIT = ("kit_data.py", "kit_train.py", "kit_report.py")
METRICS_TAG = "reportgen-metrics"  # the cell whose output verify compares with results.json
_HERE = Path(__file__).parent


def _markdown(text: str) -> str:
    """Student Markdown as the report shows it: rendered and sanitised (an allow-list of tags), so a cell shows no script."""
    from ..report.markdown import markdown_to_html

    return markdown_to_html(text)


def _kit(name: str) -> str:
    source = (_HERE / name).read_text(encoding="utf-8")
    return source.split('"""', 2)[2].lstrip("\n")  # without the module docstring: the Markdown cell above says it


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

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

WEIGHTS = Path({WEIGHTS!r})  # each run's trained weights and history, beside this notebook
# values a forward-only batch may hold: evaluation batches are sized by it
BATCH_VALUES = {limit("batch_values")}
DATA, MODELS, RESULTS, HISTORY, PREDICTIONS, SAMPLES = {{}}, {{}}, {{}}, {{}}, {{}}, {{}}
'''


def _data_cell(spec: ExperimentSpec, locate: Callable[[Any], Any]) -> str:
    lines: list[str] = []
    loaded: dict[str, str] = {}
    for name, dataset in spec.datasets.items():
        expression = _loader(dataset, locate(dataset))
        if expression in loaded:
            lines.append(f"DATA[{literal(name)}] = DATA[{literal(loaded[expression])}]")
        else:
            loaded[expression] = name
            lines.append(f"DATA[{literal(name)}] = as_dataset({expression})")
    lines.append("for name, ((x_train, y_train), (x_test, y_test)) in DATA.items():")
    lines.append("    print(f'{name}: {len(x_train):,} training and {len(x_test):,} test images of shape {x_train.shape[1:]}')")
    return "\n".join(lines) + "\n"


def _loader(dataset: Any, found: Any) -> str:
    """The call that reads a dataset as reportgen found it (its files, or Keras' download)."""
    source, files = dataset.source, [Path(f) for f in found.files]
    if source == "digits":
        return "load_digits_split()"
    if source in ("mnist", "fashion_mnist", "notmnist", "cifar10", "idx"):
        if not files:
            if source == "notmnist":
                raise NotExportable(f"dataset '{dataset.name}': notMNIST is not in local files yet (build the report first)")
            return f"keras.datasets.{source}.load_data()"
        if files[0].suffix == ".npz":
            return f"load_npz({literal(str(files[0]))})"
        if source == "cifar10":
            return f"load_cifar10({literal(str(files[0] if len(files) == 1 else files[0].parent))})"
        return f"load_idx({literal(str(files[0].parent))})"
    raise NotExportable(f"dataset '{dataset.name}': source '{source}' has no reader in the notebook yet")


def _table(block: Any, spec: ExperimentSpec, results: Mapping[str, Any], number: int) -> str:
    from ..report.tables import COLUMNS

    columns = block.options.get("columns") or ["run", "architecture", "params", "hyperparameters", "train_accuracy", "test_accuracy"]
    from .kit_report import RESULT_COLUMNS

    rows = []
    for name in block.options["runs"]:
        res = results.get(name)
        described = {c: COLUMNS.get(c).cell(name, spec.runs[name], res) for c in columns
                     if c not in RESULT_COLUMNS and res is not None}
        rows.append((name, described))
    headers = [(c, COLUMNS.get(c).header) for c in columns]
    caption = block.options.get("caption") or ""
    return (f"# Table {number}: the settings as the report describes them; every result from this notebook's runs\n"
            f"table_{number} = results_table({literal(rows, False)}, {literal(headers, False)})\n"
            f"print({literal(f'Table {number}. {caption}')})\n"
            f"table_{number}")


def _figure(block: Any) -> str | None:
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
                "    ax.set_xlabel('epoch'), ax.set_ylabel(metric), ax.legend(fontsize=7)\n"
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
                "    ax.set_title(str(i), fontsize=8), ax.axis('off')\n"
                "plt.show()")
    if kind == "reconstructions":
        return ("for name in " + literal(list(options["runs"]), False) + ":\n"
                "    original, given, output = SAMPLES[name]\n"
                f"    n = min({int(options.get('images', 10))}, len(original))\n"
                "    fig, axes = plt.subplots(3, n, figsize=(n, 3), squeeze=False)\n"
                "    for i in range(n):\n"
                "        for row, images in enumerate((original, given, output)):\n"
                "            axes[row][i].imshow(np.squeeze(images[i]), cmap='gray'), axes[row][i].axis('off')\n"
                "    fig.suptitle(f'{name}: original, input, reconstruction')\n"
                "    plt.show()")
    return None


def notebook_cells(spec: ExperimentSpec, results: Mapping[str, Any], locate: Callable[[Any], Any],
                   backend: str = "tensorflow") -> tuple[list[tuple[str, str, list[str]]], list[str]]:
    """[(kind 'markdown' or 'code', source, tags)] for the whole notebook, and the one-line problems of what could not
    be exported (the rest is written)."""
    from ..report.context import _default_caption  # noqa: F401  (the report's caption of a figure kind)

    problems: list[str] = []
    cells: list[tuple[str, str, list[str]]] = []

    def md(text: str) -> None:
        cells.append(("markdown", text, []))

    def code(text: str, tags: list[str] | None = None) -> None:
        cells.append(("code", text, tags or []))

    who = ", ".join(html.escape(a) for a in spec.authors) or "(no authors given)"
    md(f"# {html.escape(spec.title)}\n\n{html.escape(' – '.join(x for x in (spec.course, spec.pw) if x))}  \nAuthors: {who}\n\n"
       f"Plain Keras code for every run of `{html.escape(Path(spec.file).name)}` ({spec.profile} profile). It loads each "
       f"run's trained weights from `{WEIGHTS}/` and evaluates them; set `RETRAIN = True` below to train everything from "
       "scratch instead (the same numbers, on the same backend and versions).")
    code(_setup(spec, backend))
    md("## Helpers\n\nReading the course's data files, seeded stratified subsets and splits, fitting and evaluating a run, "
       "and printing results as the report does. Plain numpy and Keras: nothing here needs reportgen.")
    for name in KIT:
        code(_kit(name))
    md("## Data")
    try:
        code(_data_cell(spec, locate))
    except NotExportable as exc:
        problems.append(exc.message)
        code(f"raise RuntimeError({literal(exc.message)})")
    ctx = Context(spec, {n: tuple(r.record.get("input_shape") or ()) for n, r in results.items()},
                  {n: r.dataset for n, r in results.items() if "dataset" in r.record},
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
            label = ", ".join(f"`{html.escape(r.name)}`" for r in group.runs)
            titles = "; ".join(html.escape(r.title) for r in group.runs[:1] if r.title)
            md(f"### {label}" + (f"\n\n{titles}" if titles else ""))
            if any(r.name not in results or "dataset" not in results[r.name].record for r in group.runs):
                problems.append(f"run '{group.runs[0].name}': no result to export (it failed or was not built)")
                continue
            if group.runs[0].parents() and not all(p in exported for p in group.runs[0].parents()):
                problems.append(f"run '{group.runs[0].name}': its parent could not be exported")
                continue
            try:
                source, loop = run_cells(group, ctx)
            except NotExportable as exc:
                problems.append(exc.message if exc.message.startswith("run '") else f"run '{group.runs[0].name}': {exc.message}")
                md(f"*Not exported:* {html.escape(problems[-1])}")
                continue
            if source:
                code(source)
            code(loop)
            exported.update(r.name for r in group.runs)

    tables = 0
    for section in spec.sections:
        md(f"## {html.escape(section.title)}")
        for block in section.blocks:
            runs_of(block_runs(block))
            if block.kind == "text" and block.options.get("markdown"):
                md(_markdown(block.options["markdown"]))
            elif block.kind == "table":
                tables += 1
                if all(r in exported for r in block.options["runs"]):
                    code(_table(block, spec, results, tables))
            elif block.kind == "figure":
                made = _figure(block)
                runs = block_runs(block)
                if made and all(r in exported for r in runs):
                    caption = block.options.get("caption") or ""
                    md(f"*{html.escape(block.options['kind'])}*: {html.escape(caption)}" if caption else f"*{block.options['kind']}*")
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


def write_notebook(cells: list[tuple[str, str, list[str]]], path: Path) -> None:
    """The cells as an nbformat 4 notebook, code formatted, fixed cell ids."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    formatted = iter(format_code([source for kind, source, _ in cells if kind == "code"]))
    out = []
    for i, (kind, source, tags) in enumerate(cells):
        if kind == "code":
            out.append(new_code_cell(next(formatted), id=f"cell-{i}", metadata={"tags": tags} if tags else {}))
        else:
            out.append(new_markdown_cell(source, id=f"cell-{i}"))
    notebook = new_notebook(cells=out, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
        "language_info": {"name": "python"}})
    nbformat.validate(notebook)
    write_text(path, nbformat.writes(notebook))


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
            arrays = {k.removeprefix("weights/"): v for k, v in replicate.arrays.items() if k.startswith("weights/")}
            np.savez(folder / f"{stem}.weights.npz", **arrays)
            history: dict[str, Any] = dict(replicate.history)
            history["seconds"] = replicate.seconds
            phases = replicate.record.get("phases") or []
            if phases:
                history["head"] = phases[0]["test"]
            write_text(folder / f"{stem}.history.json", json.dumps(history))
            n += 1
    return n
