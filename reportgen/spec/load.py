"""load_spec: an experiment file -> a validated ExperimentSpec, or a SpecError listing every problem."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import SpecError
from ..limits import exceeded, limit
from . import catalog
from .args import read_args
from .check import INVALID, Checker
from .convolution import read_convolution
from .grading import read_grading
from .model import DatasetSpec, ExperimentSpec, QuickSpec, RunSpec
from .paths import DATA_PATH_VAR, PathOutside, data_roots, resolve_inside
from .report import References, read_sections
from .kinds import KIND_KEYS, read_kind
from .lineage import resolve_lineage
from .model import ModelSpec
from .replicates import REPLICATE_KEYS, Replicates, read_replicates
from .runs import read_layers, read_training
from .sweep import expand_sweep
from .yamlsource import Located, load_yaml

__all__ = ["load_spec"]

_TOP = ("title", "course", "pw", "authors", "group", "date", "datasets", "training", *REPLICATE_KEYS, "quick", "runs", "convolution",
        "report", "grading")
_DATASET = ("source", "scale", "flatten", "labels", "subset")
_RUN = ("title", "dataset", "model", "training", *REPLICATE_KEYS, "sweep", *KIND_KEYS)


def _display(path: Path) -> str:
    relative = os.path.relpath(path)
    return str(path.resolve()) if relative.startswith("..") else relative


def load_spec(path: str | Path, *, grading: bool = True) -> ExperimentSpec:
    """Read and validate an experiment file; every problem is reported at once. grading=False: a `grading:` block is
    not read (a student's, which verify ignores, cannot make a submission invalid)."""
    path = Path(path)
    if not path.is_file():
        raise SpecError([f"{_display(path)}: experiment file not found"])
    file = _display(path)
    try:
        root = load_yaml(path, file)
    except ValueError as exc:
        raise SpecError([str(exc)]) from None
    c = Checker()
    spec = _experiment(c, root, path, file, grading)
    if c.problems or spec is INVALID:
        raise SpecError(c.messages() or [f"{file}:1:1: invalid experiment"])
    return spec


def _experiment(c: Checker, root: Located, path: Path, file: str, grading_read: bool = True) -> ExperimentSpec | Any:
    top = c.mapping(root, "", _TOP, required=("title",), what="a mapping of experiment settings")
    if top is INVALID:
        return INVALID
    sheet_only = "convolution" in top and "runs" not in top  # a workbook exercise alone (PW04 exercise 1): nothing trains
    if "runs" not in top and not sheet_only:
        c.fail(root.mark, "", "missing required key 'runs' (or a `convolution:` exercise, for a file with nothing to train)")
    text = {k: c.text(top[k], k) if k in top else "" for k in ("title", "course", "pw", "group")}
    authors: Any = ()
    if "authors" in top:
        items = c.sequence(top["authors"], "authors", "a list of names")
        authors = INVALID if items is INVALID else tuple(c.each(items, "authors", c.text))
    date = _date(c, top["date"]) if "date" in top else None
    subsets: dict[str, tuple[int, int]] = {}  # dataset -> (train, test) sizes that every run of it takes
    if "datasets" in top:
        datasets = _datasets(c, top["datasets"], path.parent, subsets)
    else:
        datasets = {} if sheet_only else c.fail(root.mark, "", "missing required key 'datasets'")
    quick = _quick(c, top["quick"]) if "quick" in top else QuickSpec()
    convolution = read_convolution(c, top["convolution"], "convolution") if "convolution" in top else None
    defaults = [(top["training"], "training")] if "training" in top else []
    replicates = read_replicates(c, top, "")  # every run's, unless it says its own
    declared = list(top["datasets"].value) if "datasets" in top and isinstance(top["datasets"].value, dict) else []
    runs, groups = _runs(c, top["runs"], declared, defaults, replicates) if "runs" in top else ({}, {})
    if subsets and runs is not INVALID:
        runs = {name: replace(run, subset=subsets[run.dataset]) if run.dataset in subsets else run for name, run in runs.items()}
    sections: Any = ()
    if "report" in top:
        report = c.mapping(top["report"], "report", ("sections",), required=("sections",))
        if report is not INVALID and "sections" in report:
            layers = {name: [layer.name for layer in run.model.layers if layer.name] for name, run in (runs or {}).items()}
            known = runs or {}
            refs = References(groups, layers, path.parent, convolution is not None, {n: r.kind for n, r in known.items()},
                              {n: r.code for n, r in known.items() if r.code})
            sections = read_sections(c, report["sections"], "report.sections", refs)
    grading = read_grading(c, top["grading"], "grading", runs, groups, sections) if "grading" in top and grading_read else None
    parts = [*text.values(), authors, date, datasets, quick, runs, convolution, sections, grading]
    if any(p is INVALID for p in parts) or (isinstance(authors, tuple) and INVALID in authors):
        return INVALID
    return ExperimentSpec(
        name=path.stem, file=file, title=text["title"], course=text["course"], pw=text["pw"], authors=authors,
        group=text["group"], date=date, datasets=datasets, runs=runs, quick=quick, convolution=convolution, sections=sections,
        grading=grading,
    )


def _date(c: Checker, node: Located) -> str | Any:
    return c.string(node, "date")  # an unquoted 2024-03-01 is read as the text written (spec.yamlsource)


def _datasets(c: Checker, node: Located, base: Path, subsets: dict[str, tuple[int, int]]) -> dict[str, DatasetSpec] | Any:
    """The datasets, each `path:` resolved inside the allowed folders; a dataset's `subset:` goes into `subsets`."""
    entries = c.mapping(node, "datasets", what="a mapping of dataset names to settings")
    if entries is INVALID:
        return INVALID
    if not entries:
        return c.expected(node, "datasets", "at least one dataset")
    out = {}
    for name, value in entries.items():
        where = f"datasets.{name}"
        fields = c.mapping(value, where, required=("source",))
        if fields is INVALID or "source" not in fields:
            continue
        source = c.name_in(fields["source"], f"{where}.source", list(catalog.DATA_SOURCES), "dataset source")
        if source is INVALID:
            continue
        options_schema = catalog.DATA_SOURCES[source]
        c.mapping(value, where, [*_DATASET, *options_schema])
        options = read_args(c, Located({k: v for k, v in fields.items() if k in options_schema}, value.mark, value.key_marks),
                            where, options_schema, required=("path",) if source == "idx" else ())
        scale = c.boolean(fields["scale"], f"{where}.scale") if "scale" in fields else True
        flatten = c.boolean(fields["flatten"], f"{where}.flatten") if "flatten" in fields else False
        labels = c.choice(fields["labels"], f"{where}.labels", ("one_hot", "sparse")) if "labels" in fields else "one_hot"
        subset = _subset(c, fields["subset"], f"{where}.subset") if "subset" in fields else None
        if INVALID in (options, scale, flatten, labels, subset):
            continue
        located, looked_in = f"{value.mark}: {where}", ("", "")
        if "path" in options:  # inside the experiment's folder or a folder on REPORTGEN_DATA_PATH, nowhere else
            written, roots = options["path"], [base, *data_roots()]
            try:
                options["path"] = str(resolve_inside(written, roots, expand_user=True))
            except PathOutside as exc:
                c.fail(fields["path"].mark, f"{where}.path", f"expected a folder inside the experiment's folder or in a folder on "
                                                             f"{DATA_PATH_VAR}. Received: '{written}' ({exc})")
                continue
            located = f"{fields['path'].mark}: {where}.path"
            folders = ", ".join([f"{base.resolve()} (the experiment's folder)", *(f"{r} ({DATA_PATH_VAR})" for r in roots[1:])])
            looked_in = (written, options["path"] if Path(written).expanduser().is_absolute() else
                         folders + ("" if roots[1:] else f"; {DATA_PATH_VAR} is unset"))
        out[name] = DatasetSpec(name, source, options, scale, flatten, labels, where=located, looked_in=looked_in)
        if subset is not None:
            subsets[name] = subset
    return out if len(out) == len(entries) else INVALID


def _subset(c: Checker, node: Located, path: str) -> tuple[int, int] | Any:
    """`subset: {train: N, test: M}`: a seeded, class-stratified subset of each split, for every run of the dataset."""
    entries = c.mapping(node, path, ("train", "test"), required=("train", "test"),
                        what="{train: N, test: M} (a seeded, stratified subset)")
    if entries is INVALID or len(entries) < 2:
        return INVALID
    sizes = [c.integer(entries[k], f"{path}.{k}", minimum=1) for k in ("train", "test")]
    return INVALID if INVALID in sizes else tuple(sizes)


def _quick(c: Checker, node: Located) -> QuickSpec | Any:
    entries = c.mapping(node, "quick", ("train", "test", "epochs"))
    if entries is INVALID:
        return INVALID
    values = {k: c.integer(v, f"quick.{k}", minimum=1) for k, v in entries.items()}
    return INVALID if INVALID in values.values() else QuickSpec(**values)


def _runs(c: Checker, node: Located, datasets: list[str], defaults: list,
          replicates: Replicates | None | Any = None) -> tuple[dict[str, RunSpec], dict[str, list[str]]]:
    """Runs in file order with sweeps expanded; also {written name: [run names]} for references."""
    entries = c.mapping(node, "runs", what="a mapping of run names to settings")
    if entries is INVALID:
        return INVALID, {}
    if not entries:
        c.expected(node, "runs", "at least one run")
        return INVALID, {}
    runs: dict[str, RunSpec] = {}
    groups: dict[str, list[str]] = {}
    refs: dict[str, dict[str, Any]] = {}  # run -> {'start' | 'features': (name written, mark, path)}
    failed = False
    planned = 0  # runs so far, sweeps expanded: the experiment's total is bounded by limit('runs') before each expansion
    for name, value in entries.items():
        where = f"runs.{name}"
        fields = c.mapping(value, where, _RUN)
        if fields is INVALID:
            failed = True
            continue
        variants = [(name, value, {})]
        if "sweep" in fields:
            variants = expand_sweep(c, name, value, fields["sweep"], f"{where}.sweep", before=planned)
            if variants == []:  # a bad sweep: the run's other mistakes are still worth reporting, once
                base = Located({k: v for k, v in value.value.items() if k != "sweep"}, value.mark, value.key_marks)
                _run(c, name, base, where, datasets, defaults, {}, replicates)
                failed = True
        elif planned + 1 > limit("runs"):
            received = f"{planned + 1:,} runs (this one and the {planned:,} before it)"
            variants = c.fail(node.key_marks[name], where, exceeded("runs", received))
        if not isinstance(variants, list):  # past limit('runs'): the remaining runs are not read (nor reported unknown)
            return INVALID, {**groups, **{n: [] for n in entries if n not in groups}}
        planned += len(variants)
        groups[name] = []
        for run_name, run_node, params in variants:
            run = _run(c, run_name, run_node, where, datasets, defaults, params, replicates)
            if run is INVALID:
                failed = True
                break
            refs[run_name] = _references(run_node.value, where)
            if run_name in runs:
                c.fail(node.key_marks[name], where, f"expected unique run names. Received: '{run_name}' twice")
                break
            runs[run_name] = run
            groups[name].append(run_name)
    if not failed and not _replicates_bounded(c, node, runs):
        failed = True
    if failed or not refs or not any(refs.values()):
        return (INVALID if failed else runs), groups
    resolved = resolve_lineage(c, runs, groups, {n: r for n, r in refs.items() if r})
    return resolved if resolved is not INVALID else (INVALID, groups)


def _references(fields: dict[str, Located], where: str) -> dict[str, Any]:
    """Where a run names another: `from.run` and `features.run` (read and checked already)."""
    out = {}
    for key, field in (("from", "start"), ("features", "features")):
        node = fields.get(key)
        if node is not None and isinstance(node.value, dict) and "run" in node.value:
            out[field] = (node.value["run"].value, node.value["run"].mark, f"{where}.{key}.run")
    return out


def _replicates_bounded(c: Checker, node: Located, runs: dict[str, RunSpec]) -> bool:
    """Runs times their seeds are at most limit('runs'); past it, a problem at the run that takes the total there."""
    total = 0
    for name, run in runs.items():
        total += len(run.replicate_seeds)
        if total > limit("runs"):
            written = name.split("[")[0]
            c.fail(node.key_marks.get(written, node.mark), f"runs.{written}",
                   exceeded("runs", f"{total:,} trainings up to this run, seed replicates counted"))
            return False
    return True


def _run(c: Checker, name: str, node: Located, where: str, datasets: list[str],
         defaults: list, params: dict[str, Any], replicates: Replicates | None | Any = None) -> RunSpec | Any:
    fields = node.value
    own = read_replicates(c, fields, f"{where}.")
    replicates = own if own is not None else replicates
    kind = read_kind(c, node, fields, where)
    if "dataset" in fields:
        dataset = c.name_in(fields["dataset"], f"{where}.dataset", datasets, "dataset")
    elif len(datasets) == 1:
        dataset = datasets[0]
    else:
        dataset = c.fail(node.mark, where, f"missing required key 'dataset' (there are {len(datasets)} datasets)")
    if "estimator" in fields:
        model: Any = ModelSpec(())
    else:
        model = read_layers(c, fields["model"], f"{where}.model") if "model" in fields else INVALID
    sources = [*defaults, *([(fields["training"], f"{where}.training")] if "training" in fields else [])]
    task = kind.get("task", "classify") if kind is not INVALID else "classify"
    training = read_training(c, sources, where, task)
    title = c.string(fields["title"], f"{where}.title") if "title" in fields else None
    if INVALID in (dataset, model, training, title, kind) or replicates is INVALID:
        return INVALID
    seeds = replicates.resolve(training.seed) if replicates else ()
    run = RunSpec(name=name, dataset=dataset, model=model, training=training, title=title, sweep=params, seeds=seeds, **kind)
    return _consistent(c, run, fields, where)


def _consistent(c: Checker, run: RunSpec, fields: dict[str, Located], where: str) -> RunSpec | Any:
    """What the keys imply of each other: a `code:` layer of the model; something to fine-tune; a frozen start for it."""
    named = [layer.name for layer in run.model.layers if layer.name]
    if run.code and run.code not in named:
        return c.name_in(fields["code"], f"{where}.code", named, "named layer of this run")
    fine_tune = run.training.fine_tune
    if fine_tune and run.kind != "estimator":
        backbone = any(layer.kind in catalog.APPLICATIONS for layer in run.model.layers)
        if not backbone and not (run.start and run.start.upto):
            return c.fail(fields.get("training", fields["model"]).mark, f"{where}.training.fine_tune",
                          "expected a model with a keras.applications backbone (such as MobileNetV2), or a base from another "
                          "run (`from: {run: NAME, upto: LAYER}`), to fine-tune. Received: a model with neither")
        if run.start and run.start.trainable and not backbone:
            return c.fail(fields["from"].mark, f"{where}.from.trainable", "expected `trainable: false` with `fine_tune:` (the head "
                                                                          "trains first on the frozen base, then the base thaws)")
    return run
