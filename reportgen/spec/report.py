"""Readers for the report: sections of markdown text, results tables and figures."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import catalog
from .args import read_arg
from ..errors import ReportgenError
from ..limits import exceeded, limit
from .check import INVALID, Checker
from .figurekinds import FIGURE_KINDS
from .model import BlockSpec, SectionSpec
from .paths import PathOutside, resolve_inside
from .yamlsource import Located

__all__ = ["BEST", "References", "fill_placeholders", "read_sections"]

_BLOCKS = ("text", "markdown", "table", "convolution", "best", *catalog.FIGURES)
_BEST = {"test_accuracy": max, "train_accuracy": max, "test_loss": min, "train_loss": min, "test_mse": min, "test_psnr": max}
_BEST_FIELDS = ("run", "title", "value", "metric", "choice")
# What each run kind reports, of the metrics a best: block can choose by (run.train, run.autoencoder, run.estimator).
_KIND_METRICS = {"classify": ("test_accuracy", "train_accuracy", "test_loss", "train_loss"),
                 "reconstruct": ("test_mse", "test_psnr", "test_loss"), "estimator": ("test_accuracy", "train_accuracy")}
BEST = "best"  # `run: best` in a figure: the run a best: or table: block before it chooses, once the results are known
# One pass over a best block's text: '{{' and '}}' are braces, '{name}' a placeholder, any other brace is an error.
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    """`text` with each `{name}` replaced by values[name] and '{{', '}}' made single braces, in one pass (no format spec,
    no conversion, no attribute access: nothing a student writes can make it slow or fail after training)."""
    def one(match: re.Match) -> str:
        token = match.group()
        if token in ("{{", "}}"):
            return token[0]
        if match.group(1) in values:
            return values[match.group(1)]
        return token  # refused when the file was read; kept as written should it get here

    return _PLACEHOLDER.sub(one, text)


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else f"{text[:width]}... ({len(text):,} characters)"


@dataclass(frozen=True)
class References:
    """What report blocks may name: runs (a swept name stands for its runs), layer names, files."""

    runs: dict[str, list[str]]
    layers: dict[str, list[str]]  # run -> its named layers
    base: Path  # Markdown files are read relative to the experiment file
    convolution: bool = False
    kinds: dict[str, str] = field(default_factory=dict)  # run -> what it fits (classify, reconstruct, estimator)
    codes: dict[str, str] = field(default_factory=dict)  # run -> its `code:` layer




def _runs(c: Checker, node: Located, path: str, runs: dict[str, list[str]]) -> list[str] | Any:
    """Run names; a swept run's name stands for all its expanded runs; 'all' for every run."""
    if node.value == "all":
        return [name for members in runs.values() for name in members]
    if isinstance(node.value, str):  # one run: `runs: cnn`
        node = Located([node], node.mark)
    items = c.sequence(node, path, "a list of run names or 'all'", allow_empty=False)
    if items is INVALID:
        return INVALID
    names: list[str] = []
    known = [*runs, *(m for ms in runs.values() for m in ms if m not in runs)]
    broken = [g for g, members in runs.items() if not members]  # runs whose own mistakes are reported already
    for i, item in enumerate(items):
        if any(item.value == g or str(item.value).startswith(f"{g}[") for g in broken):
            return INVALID  # a run that could not be read, or a variant of it: no second message for the same mistake
        name = c.name_in(item, f"{path}[{i}]", known, "run")
        if name is INVALID:
            return INVALID
        names.extend(runs.get(name, [name]))
    return names


def _table(c: Checker, node: Located, path: str, refs: References) -> BlockSpec | Any:
    runs = refs.runs
    entries = c.mapping(node, path, ("runs", "columns", "caption"))
    if entries is INVALID:
        return INVALID
    options: dict[str, Any] = {"caption": "", "columns": list(catalog.DEFAULT_COLUMNS)}
    options["runs"] = _runs(c, entries["runs"], f"{path}.runs", runs) if "runs" in entries else _runs(c, Located("all", node.mark), path, runs)
    if "columns" in entries:
        items = c.sequence(entries["columns"], f"{path}.columns", "a list of column names", allow_empty=False)
        options["columns"] = INVALID if items is INVALID else c.each(items, f"{path}.columns", lambda n, p: c.name_in(n, p, catalog.COLUMNS, "column"))
    if "caption" in entries:
        options["caption"] = c.string(entries["caption"], f"{path}.caption")
    ok = all(v is not INVALID and (not isinstance(v, list) or INVALID not in v) for v in options.values())
    return BlockSpec("table", options) if ok else INVALID


def _layer(c: Checker, node: Located, path: str, run: Any, refs: References, among: list[str] | None = None) -> str | Any:
    """A named layer of the block's run (figures address layers by the `name` given in the model); of each run that
    `run: best` may choose (`among`)."""
    if run is INVALID or run is None:
        return c.string(node, path)
    for name in among or [run]:
        if c.name_in(node, path, refs.layers.get(name, []), f"named layer of run '{name}'") is INVALID:
            return INVALID
    return node.value


def _best_of(c: Checker, node: Located, path: str, kind: str, before: list[Any], refs: References) -> tuple[str, dict] | Any:
    """`run: best`: the run that the nearest `best:` block before it in its section names (its runs, its metric), else
    the best by test accuracy (test MSE for autoencoders) of the runs of the nearest table before it; chosen once the
    results are known (report.bestof), among the runs this figure kind can show."""
    source = next((b for b in reversed(before) if b is not INVALID and b.kind in ("best", "table")), None)
    if source is None and INVALID in before:
        return INVALID  # a block before it is wrong (and said so): it may be the one meant
    if source is None:
        return c.fail(node.mark, path, "expected a `best:` or `table:` block before this figure in its section, whose runs "
                                       "`run: best` chooses from. Received: none")
    shows = FIGURE_KINDS[kind].shows
    candidates = [name for name in source.options["runs"] if refs.kinds.get(name, "classify") in shows]
    if not candidates:
        return c.fail(node.mark, path, f"expected runs that {kind} can show ({' or '.join(shows)} runs) among those of the "
                                       f"{source.kind} block before it. Received: {', '.join(source.options['runs'])}")
    metric = source.options["metric"] if source.kind == "best" else _default_metric(candidates, refs)
    return "best", {"runs": candidates, "metric": metric}


def _default_metric(runs: list[str], refs: References) -> str:
    """What a best run is chosen by when no metric is named: test accuracy, or test MSE when every run reconstructs."""
    return "test_mse" if runs and all(refs.kinds.get(n) == "reconstruct" for n in runs) else "test_accuracy"


def _figure(c: Checker, kind: str, node: Located, path: str, refs: References, before: list[Any] = ()) -> BlockSpec | Any:
    runs = refs.runs
    schema = catalog.FIGURES[kind]
    required = catalog.REQUIRED_FIGURE_KEYS.get(kind, ())
    if isinstance(node.value, dict) and "runs" in schema and "run" in node.value and "runs" not in node.value:
        node = _one_run_as_runs(node)  # `reconstructions: {run: ae}`, as `confusion: {run: ...}` is written
    entries = c.mapping(node, path, (*schema, "caption"), required=required)
    if entries is INVALID or any(key not in entries for key in required):  # each mistake is recorded already
        return INVALID
    options: dict[str, Any] = {"caption": ""}
    for key, value in entries.items():
        where = f"{path}.{key}"
        arg = schema.get(key, "text")
        if arg == "runs":
            options[key] = _runs(c, value, where, runs)
        elif arg == "run" and value.value == BEST and BEST not in runs:
            chosen = _best_of(c, value, where, kind, list(before), refs)
            if chosen is INVALID:
                options[key] = INVALID
            else:
                options[key], options["best_of"] = chosen
        elif arg == "run":
            found = _runs(c, Located([value], value.mark), where, runs)
            if found is not INVALID and not found:  # a run that is itself invalid: its own mistakes are reported already
                found = INVALID
            elif found is not INVALID and len(found) != 1:
                found = c.fail(value.mark, where, f"expected one run. Received: '{value.value}', a sweep of {len(found)} runs")
            options[key] = found[0] if found else INVALID
        elif arg == "metrics":
            items = c.sequence(value, where, "a list of metrics such as [loss, accuracy]", allow_empty=False)
            options[key] = INVALID if items is INVALID else [c.choice(n, f"{where}[{i}]", ("loss", *catalog.METRICS), "a metric:") for i, n in enumerate(items)]
        elif key in ("layer", "layers"):
            continue  # checked below, once the run is known
        else:
            options[key] = read_arg(c, arg, value, where)
    among = (options.get("best_of") or {}).get("runs")
    if "layer" in entries and kind != "weights":
        options["layer"] = _layer(c, entries["layer"], f"{path}.layer", options.get("run"), refs, among)
    elif "layer" in entries:
        options["layer"] = c.string(entries["layer"], f"{path}.layer")
    if "layers" in entries:
        items = c.sequence(entries["layers"], f"{path}.layers", "a list of layer names", allow_empty=False)
        options["layers"] = INVALID if items is INVALID else [
            _layer(c, item, f"{path}.layers[{i}]", options.get("run"), refs, among) for i, item in enumerate(items)]
    ok = all(v is not INVALID and (not isinstance(v, list) or INVALID not in v) for v in options.values())
    shows = FIGURE_KINDS[kind].shows
    if ok and refs.kinds and options.get("run") != BEST:
        shown = options.get("runs") or [options["run"]]
        wrong = [name for name in shown if refs.kinds.get(name, "classify") not in shows]
        if wrong:
            key = "runs" if "runs" in entries else "run"
            return c.fail(entries[key].mark, f"{path}.{key}", f"expected runs that {kind} can show ({' or '.join(shows)} "
                                                              f"runs). Received: '{wrong[0]}', a {refs.kinds[wrong[0]]} run")
    if ok and kind == "codes" and "layer" not in options:
        lacking = [n for n in (options["best_of"]["runs"] if options.get("run") == BEST else [options["run"]]) if not refs.codes.get(n)]
        if lacking:
            return c.fail(node.mark, path, f"expected `layer:` (run '{lacking[0]}' declares no `code:` layer)")
    return BlockSpec("figure", {"kind": kind, **options}) if ok else INVALID


def _one_run_as_runs(node: Located) -> Located:
    """A figure of several runs given one `run:`: read as `runs: [that run]`, at the same place in the file."""
    value = dict(node.value)
    one = value.pop("run")
    marks = dict(node.key_marks or {})
    marks["runs"] = marks.pop("run", node.mark)
    value["runs"] = Located([one], one.mark)
    return Located(value, node.mark, marks)


def _best(c: Checker, node: Located, path: str, refs: References) -> BlockSpec | Any:
    """A sentence naming the best run by a metric, e.g. the best augmentation strategy, filled in from the results."""
    entries = c.mapping(node, path, ("runs", "metric", "text"), required=("runs",))
    if entries is INVALID or "runs" not in entries:
        return INVALID
    runs = _runs(c, entries["runs"], f"{path}.runs", refs.runs)
    if "metric" in entries:
        metric = c.choice(entries["metric"], f"{path}.metric", tuple(_BEST))
    else:
        metric = _default_metric(runs, refs) if runs is not INVALID else "test_accuracy"
    if INVALID not in (runs, metric) and refs.kinds:
        lacking = [n for n in runs if metric not in _KIND_METRICS.get(refs.kinds.get(n, "classify"), ())]
        if lacking:
            where = entries["metric"] if "metric" in entries else entries["runs"]
            metric = c.fail(where.mark, f"{path}.{'metric' if 'metric' in entries else 'runs'}",
                            f"expected runs that report {metric}. Received: '{lacking[0]}', a {refs.kinds.get(lacking[0])} run "
                            f"(it reports {', '.join(m for m in _BEST if m in _KIND_METRICS[refs.kinds.get(lacking[0])])})")
    text = "Of these runs, the best {metric} is reached by {run} ({title}): {value}."
    if "text" in entries:
        text = c.string(entries["text"], f"{path}.text")
        if text is not INVALID:
            wrong = [m.group() for m in _PLACEHOLDER.finditer(text) if m.group() not in ("{{", "}}") and m.group(1) not in _BEST_FIELDS]
            if wrong:
                shown = f"a single '{wrong[0]}'" if len(wrong[0]) == 1 else _clip(wrong[0])
                text = c.fail(entries["text"].mark, f"{path}.text", f"expected placeholders among {{{'}, {'.join(_BEST_FIELDS)}}} "
                                                                    f"without a format ('{{{{' and '}}}}' for braces). Received: {shown}")
    if INVALID in (runs, metric, text):
        return INVALID
    return BlockSpec("best", {"runs": runs, "metric": metric, "text": text})


def _read_markdown(c: Checker, node: Located, where: str, name: str, base: Path) -> str | Any:
    """A Markdown file inside the experiment's folder (no absolute path elsewhere, no '..' or link out), bounded, UTF-8."""
    try:
        file = resolve_inside(name, [base])
    except PathOutside as exc:
        return c.fail(node.mark, where, f"expected a Markdown file inside the experiment's folder. Received: '{_clip(name)}' ({exc})")
    if not file.is_file():
        return c.fail(node.mark, where, f"expected a Markdown file. Received: '{_clip(name)}' (not found at {file})")
    try:
        most = limit("text_bytes")
    except ReportgenError as exc:  # a malformed $REPORTGEN_LIMITS: said where it is read
        return c.fail(node.mark, where, str(exc))
    try:
        with open(file, "rb") as stream:
            data = stream.read(most + 1)  # read, not stat: /proc-like files report no size
    except OSError as exc:
        return c.fail(node.mark, where, f"expected a readable Markdown file. Received: '{_clip(name)}' ({exc.strerror or exc})")
    if len(data) > most:
        size = file.stat().st_size
        return c.fail(node.mark, where, exceeded("text_bytes", f"'{_clip(name)}', {max(size, len(data)):,} bytes"))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return c.fail(node.mark, where, f"expected a Markdown file in UTF-8. Received: '{_clip(name)}' (byte 0x{data[exc.start]:02x} "
                                        f"at offset {exc.start} is not UTF-8)")


def _block(c: Checker, node: Located, path: str, refs: References, before: list[Any] = ()) -> BlockSpec | Any:
    named = c.single_key(node, path, "a block: {text: FILE.md}, {markdown: ...}, {table: ...} or a figure such as {curves: ...}")
    if named is INVALID:
        return INVALID
    kind, value = named
    if kind not in _BLOCKS:
        return c.name_in(Located(kind, node.mark), path, list(_BLOCKS), "block")
    where = f"{path}.{kind}"
    value = value if value is not None else Located(None, node.mark)
    if kind == "markdown":
        text = c.string(value, where)
        return INVALID if text is INVALID else BlockSpec("text", {"markdown": text, "source": None})
    if kind == "text":
        name = c.string(value, where)
        if name is INVALID:
            return INVALID
        markdown = _read_markdown(c, value, where, name, refs.base)
        return INVALID if markdown is INVALID else BlockSpec("text", {"markdown": markdown, "source": name})
    if kind == "convolution":  # the tables of exercise 1, computed from the top-level `convolution:`
        if value.value not in (None, {}):
            return c.expected(value, where, "nothing or {} (the exercise is declared under the top-level 'convolution' key)")
        if not refs.convolution:
            return c.fail(node.mark, where, "expected a top-level 'convolution' key to show. Received: none in this file")
        return BlockSpec("convolution")
    if kind == "table":
        return _table(c, value if value.value is not None else Located({}, value.mark, {}), where, refs)
    if kind == "best":
        return _best(c, value, where, refs)
    return _figure(c, kind, value, where, refs, before)


def read_sections(c: Checker, node: Located, path: str, refs: References) -> tuple[SectionSpec, ...] | Any:
    """`sections:` a list of {title, content: [blocks]}."""
    items = c.sequence(node, path, "a list of sections")
    if items is INVALID:
        return INVALID
    sections = []
    markdown = 0  # bytes of Markdown in the whole report: rendering is linear in it, and bounded by limit('text_bytes')
    for i, item in enumerate(items):
        where = f"{path}[{i}]"
        entries = c.mapping(item, where, ("title", "content"), required=("title",))
        if entries is INVALID or "title" not in entries:
            continue
        title = c.string(entries["title"], f"{where}.title")
        blocks: list[Any] = []
        if "content" in entries:
            content = c.sequence(entries["content"], f"{where}.content", "a list of blocks")
            if content is not INVALID:
                for j, block_node in enumerate(content):  # each block sees those before it (`run: best`)
                    block = _block(c, block_node, f"{where}.content[{j}]", refs, blocks)
                    blocks.append(block if block is INVALID else replace(block, where=f"{block_node.mark}: {where}.content[{j}]"))
                for j, block in enumerate(blocks):
                    if block is not INVALID and block.kind == "text":
                        markdown += len(block.options["markdown"].encode("utf-8"))
                        if markdown > limit("text_bytes"):
                            blocks[j] = c.fail(content[j].mark, f"{where}.content[{j}]", exceeded(
                                "text_bytes", f"{markdown:,} bytes of Markdown up to this block"))
                            markdown = -(1 << 62)  # one message
        if title is not INVALID:  # kept with its valid blocks when others are wrong: one mistake is one message, and the
            sections.append(SectionSpec(title, tuple(b for b in blocks if b is not INVALID)))  # title stays known (grading)
    return tuple(sections)
