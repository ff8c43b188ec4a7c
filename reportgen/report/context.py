"""The report context: a plain dict of everything the templates show, from the spec and run results."""

from __future__ import annotations

import re
from typing import Any, Mapping

from ..exercises import solve_conv1d, solve_conv2d
from ..spec import ExperimentSpec, catalog
from ..spec.figurekinds import CODES_IMAGES, FIGURE_KINDS
from ..spec.report import fill_placeholders
from .markdown import markdown_to_html
from .runs import run_architecture, run_data, run_failure, run_training
from .tables import accuracy, make_table

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
                table = make_table(block.options["runs"], block.options["columns"], spec.runs, results)
                blocks.append({"kind": "table", "number": tables, "caption": block.options["caption"], **table})
            else:
                item = figures[(s, b)]
                blocks.append({"kind": "figure", "number": item["number"], "src": item["file"], "figure_kind": block.options["kind"],
                               "caption": block.options["caption"] or _default_caption(_shown(block.options, results))})
        number = int(spec.selected[s].split(".")[0]) if spec.selected else s + 1  # a partial build keeps the file's numbers
        sections.append({"number": number, "title": section.title, "blocks": blocks})
    return {
        "experiment": spec.name,
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


def best_sentence(options: Mapping[str, Any], spec: ExperimentSpec, results: Mapping[str, Any]) -> str:
    """The user's sentence with the best run of the results filled in (never a fixed claim)."""
    metric = options["metric"]
    choose = max if metric.endswith(("accuracy", "psnr")) else min
    candidates = [name for name in options["runs"] if not run_failure(results[name])]  # a failed run is never the best
    missing = [name for name in candidates if metric not in results[name].metrics]
    if missing:
        from ..errors import RenderError

        raise RenderError(f"best block: run '{missing[0]}' has no {metric} (a {results[missing[0]].record.get('kind', 'classify')} "
                          f"run); choose runs that report it")
    if not candidates:
        return f"No run is named best by {metric.replace('_', ' ')}: every one of them failed."
    best = choose(candidates, key=lambda name: results[name].metrics[metric])
    value = results[best].metrics[metric]
    shown = (accuracy(results[best], metric.split("_")[0]) if metric.endswith("accuracy") else f"{value:.1f} dB" if metric.endswith("psnr")
             else f"{value:.4f}")
    words = metric.replace("_", " ")
    values = {"run": best, "title": spec.runs[best].title or best, "value": shown, "metric": words}
    # One pass, no str.format (a student's format spec could hang or crash the render); what is filled in is text, not markup.
    return fill_placeholders(options["text"], {key: _literal(value) for key, value in values.items()})


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
    out: dict[str, Any] = {"kind": "convolution", "tables": []}
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


def _default_caption(options: Mapping[str, Any]) -> str:
    return FIGURE_KINDS[options["kind"]].caption(options)


def _appendix(spec: ExperimentSpec, results: Mapping[str, Any]) -> dict[str, Any]:
    runs, datasets, environments = [], {}, {}
    for name, run in spec.runs.items():
        result = results[name]
        data = result.dataset
        runs.append({
            "name": name,
            "dataset": run.dataset,
            "architecture": run_architecture(run),
            "hyperparameters": run_training(run, result.epochs),
            "data": run_data(run, data),
            "validation": "n/a" if run.kind == "estimator" else run.training.validation,
            "seed": run.training.seed,
            "params": "n/a" if run.kind == "estimator" else f"{result.params:,}",
            "layers": [f"{layer['name']} {layer['weights']:,} + {layer['biases']:,} = {layer['params']:,}"
                       for layer in result.layers if layer["params"]],
            "seconds": f"{result.seconds:.1f}",
            "key": result.key,
            "from_cache": result.from_cache,
            "origin": result.origin,
            "trained_on": ", ".join(result.record["manifest"].get("devices", [])) or result.record["manifest"]["backend"],
        })
        datasets.setdefault((run.dataset, data["fingerprint"], data["n_train"], data["n_test"]), {
            "name": run.dataset,
            "source": data["source"],
            "origin": data["origin"],
            "fingerprint": data["fingerprint"],
            "sizes": f"{data['n_train']:,} / {data['n_test']:,}",
            "full_sizes": f"{data['n_train_full']:,} / {data['n_test_full']:,}",
            "subset": data["n_train"] != data["n_train_full"] or data["n_test"] != data["n_test_full"],
            "shape": " x ".join(str(d) for d in data["shape"]),
            "classes": len(data["classes"]),
        })
        manifest = result.record["manifest"]
        environments.setdefault(tuple(sorted((k, str(v)) for k, v in manifest.items())), manifest)
    return {"runs": runs, "datasets": list(datasets.values()), "environments": list(environments.values())}
