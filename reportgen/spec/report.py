"""Readers for the report: sections of markdown text, results tables and figures."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
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

__all__ = ["References", "fill_placeholders", "read_sections"]

_BLOCKS = ("text", "markdown", "table", "convolution", "best", *catalog.FIGURES)
_BEST = {"test_accuracy": max, "train_accuracy": max, "test_loss": min, "train_loss": min, "test_mse": min, "test_psnr": max}
_BEST_FIELDS = ("run", "title", "value", "metric")
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
    items = c.sequence(node, path, "a list of run names or 'all'", allow_empty=False)
    if items is INVALID:
        return INVALID
    names: list[str] = []
    known = [*runs, *(m for ms in runs.values() for m in ms if m not in runs)]
    for i, item in enumerate(items):
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


def _layer(c: Checker, node: Located, path: str, run: Any, refs: References) -> str | Any:
    """A named layer of the block's run (figures address layers by the `name` given in the model)."""
    if run is INVALID or run is None:
        return c.string(node, path)
    return c.name_in(node, path, refs.layers.get(run, []), f"named layer of run '{run}'")


def _figure(c: Checker, kind: str, node: Located, path: str, refs: References) -> BlockSpec | Any:
    runs = refs.runs
    schema = catalog.FIGURES[kind]
    entries = c.mapping(node, path, (*schema, "caption"), required=catalog.REQUIRED_FIGURE_KEYS.get(kind, ()))
    if entries is INVALID:
        return INVALID
    options: dict[str, Any] = {"caption": ""}
    for key, value in entries.items():
        where = f"{path}.{key}"
        arg = schema.get(key, "text")
        if arg == "runs":
            options[key] = _runs(c, value, where, runs)
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
    if "layer" in entries and kind != "weights":
        options["layer"] = _layer(c, entries["layer"], f"{path}.layer", options.get("run"), refs)
    elif "layer" in entries:
        options["layer"] = c.string(entries["layer"], f"{path}.layer")
    if "layers" in entries:
        items = c.sequence(entries["layers"], f"{path}.layers", "a list of layer names", allow_empty=False)
        options["layers"] = INVALID if items is INVALID else [
            _layer(c, item, f"{path}.layers[{i}]", options.get("run"), refs) for i, item in enumerate(items)]
    ok = all(v is not INVALID and (not isinstance(v, list) or INVALID not in v) for v in options.values())
    shows = FIGURE_KINDS[kind].shows
    if ok and refs.kinds:
        shown = options.get("runs") or [options["run"]]
        wrong = [name for name in shown if refs.kinds.get(name, "classify") not in shows]
        if wrong:
            key = "runs" if "runs" in entries else "run"
            return c.fail(entries[key].mark, f"{path}.{key}", f"expected runs that {kind} can show ({' or '.join(shows)} "
                                                              f"runs). Received: '{wrong[0]}', a {refs.kinds[wrong[0]]} run")
        if kind == "codes" and "layer" not in options and not refs.codes.get(options["run"]):
            return c.fail(node.mark, path, f"expected `layer:` (run '{options['run']}' declares no `code:` layer)")
    return BlockSpec("figure", {"kind": kind, **options}) if ok else INVALID


def _best(c: Checker, node: Located, path: str, refs: References) -> BlockSpec | Any:
    """A sentence naming the best run by a metric, e.g. the best augmentation strategy, filled in from the results."""
    entries = c.mapping(node, path, ("runs", "metric", "text"), required=("runs",))
    if entries is INVALID or "runs" not in entries:
        return INVALID
    runs = _runs(c, entries["runs"], f"{path}.runs", refs.runs)
    metric = c.choice(entries["metric"], f"{path}.metric", tuple(_BEST)) if "metric" in entries else "test_accuracy"
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


def _block(c: Checker, node: Located, path: str, refs: References) -> BlockSpec | Any:
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
    return _figure(c, kind, value, where, refs)


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
                blocks = c.each(content, f"{where}.content", lambda n, p: _block(c, n, p, refs))
                for j, block in enumerate(blocks):
                    if block is not INVALID and block.kind == "text":
                        markdown += len(block.options["markdown"].encode("utf-8"))
                        if markdown > limit("text_bytes"):
                            blocks[j] = c.fail(content[j].mark, f"{where}.content[{j}]", exceeded(
                                "text_bytes", f"{markdown:,} bytes of Markdown up to this block"))
                            markdown = -(1 << 62)  # one message
        if title is not INVALID and INVALID not in blocks:
            sections.append(SectionSpec(title, tuple(blocks)))
    return tuple(sections)
