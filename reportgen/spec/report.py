"""Readers for the report: sections of markdown text, results tables and figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import catalog
from .args import read_arg
from .check import INVALID, Checker
from .model import BlockSpec, SectionSpec
from .yamlsource import Located

__all__ = ["read_sections"]

_BLOCKS = ("text", "markdown", "table", "convolution", *catalog.FIGURES)


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


def _table(c: Checker, node: Located, path: str, runs: dict[str, list[str]]) -> BlockSpec | Any:
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


def _figure(c: Checker, kind: str, node: Located, path: str, runs: dict[str, list[str]]) -> BlockSpec | Any:
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
            if found is not INVALID and len(found) != 1:
                found = c.fail(value.mark, where, f"expected one run. Received: '{value.value}', a sweep of {len(found)} runs")
            options[key] = found[0] if found else INVALID
        elif arg == "metrics":
            items = c.sequence(value, where, "a list of metrics such as [loss, accuracy]", allow_empty=False)
            options[key] = INVALID if items is INVALID else [c.choice(n, f"{where}[{i}]", ("loss", *catalog.METRICS), "a metric:") for i, n in enumerate(items)]
        else:
            options[key] = read_arg(c, arg, value, where)
    ok = all(v is not INVALID and (not isinstance(v, list) or INVALID not in v) for v in options.values())
    return BlockSpec("figure", {"kind": kind, **options}) if ok else INVALID


def _block(c: Checker, node: Located, path: str, runs: dict[str, list[str]], base: Path, convolution: bool) -> BlockSpec | Any:
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
        file = (base / name).resolve()
        if not file.is_file():
            return c.fail(value.mark, where, f"expected a Markdown file. Received: '{name}' (not found at {file})")
        return BlockSpec("text", {"markdown": file.read_text(encoding="utf-8"), "source": name})
    if kind == "convolution":  # the tables of exercise 1, computed from the top-level `convolution:`
        if value.value not in (None, {}):
            return c.expected(value, where, "nothing or {} (the exercise is declared under the top-level 'convolution' key)")
        if not convolution:
            return c.fail(node.mark, where, "expected a top-level 'convolution' key to show. Received: none in this file")
        return BlockSpec("convolution")
    if kind == "table":
        return _table(c, value if value.value is not None else Located({}, value.mark, {}), where, runs)
    return _figure(c, kind, value, where, runs)


def read_sections(
    c: Checker, node: Located, path: str, runs: dict[str, list[str]], base: Path, convolution: bool = False
) -> tuple[SectionSpec, ...] | Any:
    """`sections:` a list of {title, content: [blocks]}."""
    items = c.sequence(node, path, "a list of sections")
    if items is INVALID:
        return INVALID
    sections = []
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
                blocks = c.each(content, f"{where}.content", lambda n, p: _block(c, n, p, runs, base, convolution))
        if title is not INVALID and INVALID not in blocks:
            sections.append(SectionSpec(title, tuple(blocks)))
    return tuple(sections)
