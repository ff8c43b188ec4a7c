"""The report context: a plain dict of everything the templates show, from the spec and run results."""

from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

import numpy as np
from markupsafe import Markup, escape

from ..exercises import solve_conv1d, solve_conv2d
from ..numbers import mean_pm
from ..spec import ExperimentSpec, catalog
from ..spec.figurekinds import CODES_IMAGES, FIGURE_KINDS
from ..spec.report import fill_placeholders
from .bestof import ranked_runs, resolve_best, seed_values
from .markdown import markdown_to_html
from .runs import layer_split, params_text, run_architecture, run_data, run_training_parts
from .layout import PIECE_COLUMNS, header_lines, segments, table_layout, word_parts
from .tables import Column, accuracy, fold_shared, make_table, shared_caption

__all__ = ["build_context", "figure_plan"]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def figure_plan(spec: ExperimentSpec) -> list[dict[str, Any]]:
    """Every figure block in order, numbered, with the file it is saved to under the build folder."""
    plan = []
    for s, section in enumerate(spec.sections):
        for b, block in enumerate(section.blocks):
            if block.kind == "figure":
                number = len(plan) + 1
                plan.append({"id": (s, b), "number": number, "file": f"figures/fig{number:02d}-{_slug(block.options['kind'])}."
                                                                              f"{catalog.FIGURE_FORMATS.get(block.options['kind'], 'png')}",
                             "options": block.options})
    return plan


def build_context(spec: ExperimentSpec, results: Mapping[str, Any], built: str) -> dict[str, Any]:
    """Title block, numbered sections with tables, figures and text, and the appendix."""
    spec = resolve_best(spec, results)  # a figure of `run: best` shows the run its results choose
    figures = {item["id"]: item for item in figure_plan(spec)}
    sections = []
    tables = 0
    for s, section in enumerate(spec.sections):
        blocks = []
        for b, block in enumerate(section.blocks):
            if block.kind == "text":
                blocks.append({"kind": "text", "html": markdown_to_html(block.options["markdown"])})
            elif block.kind == "best":
                blocks.append({"kind": "text", "html": markdown_to_html(best_sentence(block.options, spec, results))})
            elif block.kind == "convolution":
                block_context = _convolution(spec, tables)
                tables += len(block_context["tables"])
                blocks.append(block_context)
            elif block.kind == "table":
                tables += 1
                blocks.append(_table_block(tables, block.options, spec, results))
            else:
                item = figures[(s, b)]
                caption = block.options["caption"] or _default_caption(_shown(block.options, results))
                blocks.append({"kind": "figure", "number": item["number"], "src": item["file"], "figure_kind": block.options["kind"],
                               "caption": caption + _best_note(block.options, results) + _first_seed_note(block.options, results)})
        number = int(spec.selected[s].split(".")[0]) if spec.selected else s + 1  # a partial build keeps the file's numbers
        sections.append({"number": number, "title": section.title, "blocks": blocks})
    return {
        "experiment": spec.name,
        "file": spec.file,  # the path as the user gave it (relative to the working folder, else absolute)
        "title": spec.title,
        "course": spec.course,
        "pw": spec.pw,
        "authors": list(spec.authors),
        "group": spec.group,
        "date": spec.date or built[:10],
        "built": built,
        "profile": spec.profile,
        "quick": {"train": spec.quick.train, "test": spec.quick.test, "epochs": spec.quick.epochs} if spec.profile == "quick" else None,
        "sections": sections,
        "selected": list(spec.selected),
        "appendix": _appendix(spec, results),
    }


def _shown_value(result: Any, metric: str, said: bool = False) -> str:
    """The value as the tables print it: '91.1%', '87.41 ± 0.21% (mean ± std over 3 seeds)' ('87.41 ± 0.21%' once
    said), '17.9 dB', '0.0280'."""
    values = seed_values(result, metric)
    percent_metric = metric.endswith("accuracy")
    if len(values) > 1:
        scale, digits = (100, 2) if percent_metric else (1, 2 if metric.endswith("psnr") else 4)
        unit = "%" if percent_metric else " dB" if metric.endswith("psnr") else ""
        return f"{mean_pm([scale * v for v in values], digits)}{unit}" + ("" if said else f" (mean ± std over {len(values)} seeds)")
    value = values[0]
    return (accuracy(result, metric.split("_")[0]) if percent_metric else f"{value:.1f} dB" if metric.endswith("psnr")
            else f"{value:.4f}")


def best_sentence(options: Mapping[str, Any], spec: ExperimentSpec, results: Mapping[str, Any]) -> str:
    """The user's sentence with the best run of the results filled in (never a fixed claim). Runs with seed
    replicates are compared by their means; when the best is within one standard deviation of the runner-up (the
    larger of the two), a sentence says so: the order of the two is not settled by these seeds."""
    metric = options["metric"]
    ranked, means = ranked_runs(list(options["runs"]), metric, results)  # a failed run is never the best
    if not ranked:
        return f"No run is named best by {metric.replace('_', ' ')}: every one of them failed."
    best = ranked[0]
    words = metric.replace("_", " ")
    values = {"run": best, "title": spec.runs[best].title or best, "value": _shown_value(results[best], metric), "metric": words,
              "choice": _choice(spec.runs[best].sweep, best)}
    # One pass, no str.format (a student's format spec could hang or crash the render); what is filled in is text, not markup.
    sentence = fill_placeholders(options["text"], {key: _literal(value) for key, value in values.items()})
    if len(ranked) > 1:
        second = ranked[1]
        spread = max(_std(results[best], metric), _std(results[second], metric))
        if spread and abs(means[best] - means[second]) <= spread:
            sentence += (f"\n\n{_literal(best)} is within one standard deviation of the runner-up, {_literal(second)} "
                         f"({_literal(_shown_value(results[second], metric, said=True))}): over these seeds the order of the two is not "
                         "settled.")
    return sentence


def _choice(sweep: Mapping[str, Any], name: str) -> str:
    """What a swept run's sweep chose: its one value ('128', 'flip_translate'), or 'units=128, rate=0.3' for several;
    the run's name for a run that no sweep made."""
    if not sweep:
        return name
    if len(sweep) == 1:
        return str(next(iter(sweep.values())))
    return ", ".join(f"{key}={value}" for key, value in sweep.items())


def _std(result: Any, metric: str) -> float:
    values = seed_values(result, metric)
    return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


_MARKDOWN_MARKS = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation mark: CommonMark lets each be escaped


def _literal(text: str) -> str:
    """A value put into a Markdown sentence so that it shows as written: on one line, every punctuation mark backslashed
    (what a run's title may hold is text, never markup: no heading, table, link or tag can start in it)."""
    one_line = " ".join(text.split())  # a newline would let a title start a heading, a table or a list
    return _MARKDOWN_MARKS.sub(r"\\\1", one_line)  # '<' escaped too: shown as written, never parsed as HTML


def _number(x: float) -> str:
    return f"{x:g}"


def _convolution(spec: ExperimentSpec, tables_before: int) -> dict[str, Any]:
    """Exercise 1's tables, computed from the spec by the same code as the workbook."""
    out: dict[str, Any] = {"kind": "convolution", "tables": [], "conv1d": None, "conv2d": None}  # either part may be alone
    if spec.convolution.conv1d:
        one = solve_conv1d(spec.convolution.conv1d)
        same = [f"S={c['stride']}, P={c['padding']}" for c in one["cases"] if c["same_size"]]
        out["conv1d"] = {
            "input": ", ".join(map(_number, one["input"])), "kernel": ", ".join(map(_number, one["kernel"])),
            "bias": _number(one["bias"]), "n": one["n"], "f": one["f"],
            "rows": [[str(c["stride"]), str(c["padding"]), " ".join(map(_number, c["padded"])), str(c["size"]),
                      " ".join(map(_number, c["output"])), "yes" if c["same_size"] else "no"] for c in one["cases"]],
            "same": "; ".join(same) or "none of the cases",
            "number": tables_before + len(out["tables"]) + 1,
        }
        out["tables"].append("conv1d")
    if spec.convolution.conv2d:
        two = solve_conv2d(spec.convolution.conv2d)
        values = two["values"]
        out["conv2d"] = {
            "input": " x ".join(map(str, two["input_shape"])), "filter": " x ".join(map(str, two["filter_shape"])),
            "maps": two["maps"],
            "sizes": [[str(s["stride"]), str(s["padding"]), " x ".join(map(str, s["volume"]))] for s in two["sizes"]],
            "preserve": two["preserve"], "preserve_volume": " x ".join(map(str, two["preserve"]["volume"])),
            "stride": values["stride"], "padding": values["padding"],
            "outputs": [[[_number(v) for v in row] for row in grid] for grid in values["outputs"]],
            "sizes_number": tables_before + len(out["tables"]) + 1,
            "values_number": tables_before + len(out["tables"]) + 2,
        }
        out["tables"] += ["conv2d sizes", "conv2d values"]
    return out


def _shown(options: Mapping[str, Any], results: Mapping[str, Any]) -> Mapping[str, Any]:
    """A codes figure projects at most the test set: its caption says how many images it shows."""
    if options["kind"] == "codes" and options["run"] in results:
        n_test = results[options["run"]].dataset.get("n_test")
        if n_test is not None:
            return {**options, "images": min(options.get("images", CODES_IMAGES), n_test)}
    return options


def _first_seed_note(options: Mapping[str, Any], results: Mapping[str, Any]) -> str:
    """A figure drawn from one trained model (weights, activations, a confusion matrix) of a run with seed replicates
    shows its first seed's: the caption says so. Curves show every seed (their mean and spread)."""
    if options["kind"] == "curves":
        return ""
    said = []
    for name in options.get("runs") or [options.get("run")]:
        replicates = getattr(results.get(name), "replicates", ()) or ()
        if len(replicates) > 1:
            said.append(f"{name}'s first seed ({replicates[0].seed}) of {len(replicates)}")
    return f" Drawn from {', '.join(said)}." if said else ""


def _best_note(options: Mapping[str, Any], results: Mapping[str, Any]) -> str:
    """A figure of `run: best`: which run it shows, and why (its value against the others')."""
    best_of = options.get("best_of")
    if not best_of:
        return ""
    metric, others = best_of["metric"], [n for n in best_of["runs"] if n != options["run"]]
    if not options.get("chosen"):
        return f" No run of {', '.join(best_of['runs'])} reports {metric.replace('_', ' ')}: it shows {options['run']}, the first."
    value = _shown_value(results[options["run"]], metric)
    if not others:
        return f" {options['run']} was chosen as the best by {metric.replace('_', ' ')} ({value}), the only run to choose from."
    runs = best_of["runs"]
    listed = runs[0] if len(runs) == 1 else f"{', '.join(runs[:-1])} and {runs[-1]}"
    return f" {options['run']} is the best by {metric.replace('_', ' ')} ({value}) of {listed}."


def _default_caption(options: Mapping[str, Any]) -> str:
    return FIGURE_KINDS[options["kind"]].caption(options)


def _table_block(number: int, options: Mapping[str, Any], spec: ExperimentSpec, results: Mapping[str, Any]) -> dict[str, Any]:
    """A results table: what every row shares told once in the caption, and laid out to fit its page (table_layout)."""
    table = make_table(options["runs"], options["columns"], spec.runs, results, shared=True)
    shared = table.pop("shared", [])
    return {"kind": "table", "number": number, "caption": shared_caption(options["caption"], shared), **table,
            **_table_html(table, list(options["runs"]))}


# Markup of a cell (tables.segments): every piece an element of its own and every separator a bare text node
# between two of them, so a line that breaks there ends without its space (WeasyPrint keeps a space that ends a text
# node when the next inline element goes to the next line, and the PDF's text would read 'MAXPOOL;  DENSE').
_NB = Markup('<span class="nb">{}</span>')
_SPAN = Markup("<span>{}</span>")


def _cell_html(text: str, numeric: bool = False, nowrap_chars: int = 0) -> Markup:
    """A cell's text, escaped: as it is (a long word with a <wbr> after 'Name(' and 'key=', tables.word_parts), or in
    pieces that wrap only between them (nowrap_chars > 0: an architecture; a number and its parenthesis)."""
    if not nowrap_chars and not (numeric and " " in text):  # '96.18 ± 0.17', '1, 2, 3', '60.0% †': one piece
        return Markup(" ").join(_word_html(word) for word in text.split(" "))
    out = []
    for piece, together in segments(text, numeric, nowrap_chars):
        if piece in (" ", "\n"):
            out.append(Markup(piece))
        elif together:
            out.append(_NB.format(piece))
        else:  # a long piece: wraps at its spaces (not at a word's hyphen), each word an element, each space between two
            out.append(Markup(" ").join((_NB if "-" in word else _SPAN).format(_word_html(word)) for word in piece.split(" ")))
    return Markup("").join(out)


def _word_html(word: str) -> Markup:
    return Markup("<wbr>").join(map(escape, word_parts(word)))


def _header_html(header: str) -> Markup:
    """A header in at most two lines (header_lines): 'Acc. train %' as 'Acc.' and 'train %', never a word a line."""
    lines = header_lines(header)
    if len(lines) == 1:
        return _NB.format(header) if " " in header else escape(header)  # 'Time (s)', 'Loss test': one line
    return Markup(" ").join(_NB.format(line) if " " in line else _SPAN.format(line) for line in lines)


def _run_html(name: str, text: str) -> Markup:
    """The run column: the run's name in one piece ('mlp[units=32]'), then its title, which wraps as text does."""
    if not text.startswith(name):
        return _cell_html(text)
    return Markup('<span class="run-name">{}</span>{}').format(name, text[len(name):])


def _table_html(table: Mapping[str, Any], names: Sequence[str], fonts: tuple[float, float] = (9.0, 8.0),
                nowrap: Mapping[str, int] = PIECE_COLUMNS, html: Mapping[str, Sequence[Markup]] | None = None,
                measured: Mapping[str, Sequence[str]] | None = None) -> dict[str, Any]:
    """The cells and headers as markup, and the table's layout (tables.table_layout: normal, compact, wide, squeeze).
    nowrap: the columns that wrap only between pieces, and their longest piece kept in one line; html: the markup
    of a column's cells, made by the caller, and measured: the text that stands for it in the estimate of the width."""
    html, measured = html or {}, measured or {}
    limits = [nowrap.get(column, 0) for column in table["columns"]]
    cells = [[html[column][i] if column in html else _run_html(names[i], cell) if column == "run"
              else _cell_html(cell, numeric, limit)
              for column, numeric, limit, cell in zip(table["columns"], table["numeric"], limits, row)]
             for i, row in enumerate(table["rows"])]
    texts = [[measured[column][i] if column in measured else cell for column, cell in zip(table["columns"], row)]
             for i, row in enumerate(table["rows"])]
    return {"header_cells": [_header_html(header) for header in table["headers"]], "cells": cells,
            "layout": table_layout(table["headers"], texts, table["numeric"], *fonts, limits)}


_APPENDIX_FONTS = (8.0, 7.5)  # table.small in report.css, and table.small.compact
_RUN_COLUMNS = {  # the appendix's runs table: header, numeric, and how a value every run shares is told
    "run": Column("Run", str), "data": Column("Data", str, shared=lambda v: f"data {v}"),
    "architecture": Column("Architecture", str, shared=lambda v: f"architecture {v}"),
    "hyperparameters": Column("Hyper-parameters", str), "validation": Column("Validation", str, shared=lambda v: f"validation: {v}"),
    "seed": Column("Seed", str, True, shared=lambda v: f"seed {v}"), "params": Column("Params", str, True),
    "seconds": Column("Time (s)", str, True),
}
_LAYER_ENTRY_CHARS = 40  # a layer's entry of the parameters table ('conv2d_1 4,608 + 32 = 4,640') is one piece; a longer one wraps


def _layer_text(layer: Mapping[str, Any]) -> str:
    """'dense 640 + 10 = 650' (weights + biases, all trained); 'batch_normalization 32 + 32 non-trainable = 64'
    (runs.layer_split: batch normalisation's gamma and beta are trained, its moving mean and variance are not)."""
    trainable, frozen = layer_split(layer)
    if not frozen:
        return f"{layer['name']} {layer['weights']:,} + {layer['biases']:,} = {layer['params']:,}"
    return f"{layer['name']} {trainable:,} + {frozen:,} non-trainable = {layer['params']:,}"


def _runs_tables(runs: list[dict[str, Any]], parts: list[list[str]]) -> dict[str, Any]:
    """The appendix's runs table (what every run shares in its caption, as the results tables) and its parameters
    per layer table."""
    columns = list(_RUN_COLUMNS)
    table = {"columns": columns, "headers": [c.header for c in _RUN_COLUMNS.values()],
             "numeric": [c.numeric for c in _RUN_COLUMNS.values()],
             "rows": [[run["name"], f"{run['dataset']}, {run['data']}", run["architecture"], run["hyperparameters"],
                       str(run["validation"]), str(run["seed"]), run["params"], run["seconds"]] for run in runs]}
    table.update(fold_shared(table, list(_RUN_COLUMNS.values()), {"hyperparameters": parts}))
    data_html = [Markup('{}<br><span class="note">{}</span>').format(run["dataset"], run["data"]) if run["data"]
                 else escape(run["dataset"]) for run in runs]
    names = [run["name"] for run in runs]
    runs_table = {**table, "caption": shared_caption("", table.pop("shared")),
                  **_table_html(table, names, _APPENDIX_FONTS, html={"data": data_html},
                                measured={"data": [f"{run['dataset']} {run['data']}" for run in runs]})}
    layers = {"columns": ["run", "layers", "params"], "headers": ["Run", "Layers with parameters", "Total"],
              "numeric": [False, False, True],
              "rows": [[run["name"], "; ".join(run["layers"]), run["params"]] for run in runs]}
    layers.update(_table_html(layers, names, _APPENDIX_FONTS, nowrap={"layers": _LAYER_ENTRY_CHARS}))
    return {"runs_table": runs_table, "layers_table": layers}


def _trained_on(result: Any) -> str:
    manifest = result.record["manifest"]
    return ", ".join(manifest.get("devices", [])) or manifest["backend"]


def _appendix(spec: ExperimentSpec, results: Mapping[str, Any]) -> dict[str, Any]:
    runs, datasets, environments, parts = [], {}, {}, []
    for name, run in spec.runs.items():
        result = results[name]
        replicates = getattr(result, "replicates", ()) or (result,)
        data = result.dataset
        parts.append(run_training_parts(run, result.epochs))
        runs.append({
            "name": name,
            "dataset": run.dataset,
            "architecture": run_architecture(run),
            "hyperparameters": "; ".join(parts[-1]),
            "data": run_data(run, data),
            "validation": "n/a" if run.kind == "estimator" else run.training.validation,
            "seed": ", ".join(str(r.seed) for r in replicates) if len(replicates) > 1 else run.training.seed,
            "params": "n/a" if run.kind == "estimator" else params_text(result.params, result.layers),
            "layers": [_layer_text(layer) for layer in result.layers if layer["params"]],
            "seconds": (f"{sum(r.seconds for r in replicates):.1f} ({len(replicates)} seeds)" if len(replicates) > 1
                        else f"{result.seconds:.1f}"),
            "entries": [{"name": name if i == 0 else f"{name}@seed={r.seed}", "key": r.key, "from_cache": r.from_cache,
                         "origin": r.origin, "trained_on": _trained_on(r)} for i, r in enumerate(replicates)],
        })
        datasets.setdefault((run.dataset, data["fingerprint"], data["n_train"], data["n_test"]), {
            "name": run.dataset,
            "source": data["source"],
            "origin": data["origin"],
            "fingerprint": data["fingerprint"],
            "sizes": f"{data['n_train']:,}" + (f" + {data['n_val']:,} validation" if data.get("n_val") else "") + f" / {data['n_test']:,}",
            "full_sizes": f"{data['n_train_full']:,} / {data['n_test_full']:,}",
            "subset": data["n_train"] + data.get("n_val", 0) != data["n_train_full"] or data["n_test"] != data["n_test_full"],
            "reduced": data.get("copy"),  # the name of the smaller copy of the dataset it was read from, if any
            "shape": " x ".join(str(d) for d in data["shape"]),
            "classes": len(data["classes"]),
        })
        manifest = result.record["manifest"]
        environments.setdefault(tuple(sorted((k, str(v)) for k, v in manifest.items())), manifest)
    return {"runs": runs, **_runs_tables(runs, parts), "datasets": list(datasets.values()), "environments": list(environments.values())}
