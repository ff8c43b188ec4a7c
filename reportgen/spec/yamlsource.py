"""Safe YAML loading that keeps the file, line and column of every value."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..limits import exceeded, limit

__all__ = ["Located", "Mark", "load_yaml"]

# Tags a plain data file may carry; anything else (e.g. !!python/object) is refused.
_SAFE_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}


_FAST_LOADER = getattr(yaml, "CSafeLoader", None)  # libyaml's parser, for the size walk (the pure one is ~20x slower)
_FLOAT_1_2 = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)[eE][-+]?[0-9]+")


@dataclass(frozen=True)
class Mark:
    """A place in a file, 1-based as editors show it."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Located:
    """A YAML value with its place; mappings hold Located keys' values, sequences Located items."""

    value: Any  # dict[str, Located] | list[Located] | scalar
    mark: Mark
    key_marks: dict[str, Mark] | None = None  # for mappings: where each key is written

    def plain(self) -> Any:
        """The value with all positions stripped."""
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value


_TIMESTAMP = "tag:yaml.org,2002:timestamp"  # what PyYAML resolves a plain 2024-03-01 to


class _Problem(Exception):
    def __init__(self, mark: Mark, message: str):
        super().__init__(message)
        self.mark = mark
        self.message = message


def _mark(file: str, node_mark: Any) -> Mark:
    return Mark(file, node_mark.line + 1, node_mark.column + 1)


class _Converter:
    def __init__(self, file: str):
        self.file = file
        self.constructor = yaml.SafeLoader.__new__(yaml.SafeLoader)
        yaml.constructor.SafeConstructor.__init__(self.constructor)

    def convert(self, node: yaml.Node) -> Located:
        mark = _mark(self.file, node.start_mark)
        if node.tag == _TIMESTAMP and isinstance(node, yaml.ScalarNode):
            return Located(node.value, mark)  # `date: 2024-03-01` unquoted, as everyone writes it: the text as written
        if node.tag not in _SAFE_TAGS:
            raise _Problem(mark, f"expected plain YAML data. Received: the tag '{node.tag}' (tags that build objects are not allowed)")
        if isinstance(node, yaml.MappingNode):
            self.constructor.flatten_mapping(node)
            values: dict[str, Located] = {}
            key_marks: dict[str, Mark] = {}
            for key_node, value_node in node.value:
                key = self.convert(key_node)
                if not isinstance(key.value, str):
                    shown = "a mapping" if isinstance(key.value, dict) else "a list" if isinstance(key.value, list) else repr(key.value)[:80]
                    raise _Problem(key.mark, f"expected a text key. Received: {shown}")
                if key.value in values:
                    raise _Problem(key.mark, f"duplicate key '{key.value}' (first written at line {key_marks[key.value].line})")
                key_marks[key.value] = key.mark
                values[key.value] = self.convert(value_node)
            return Located(values, mark, key_marks)
        if isinstance(node, yaml.SequenceNode):
            return Located([self.convert(item) for item in node.value], mark)
        try:
            value = self.constructor.construct_object(node)
        except ValueError as exc:  # e.g. an integer of more than 4,300 digits
            raise _Problem(mark, f"expected a value Python can read. Received: {str(node.value)[:40]}... ({exc})") from None
        if isinstance(value, str) and node.style is None and _FLOAT_1_2.fullmatch(value):
            value = float(value)  # YAML 1.2 reads `1e-3` as a number; PyYAML (1.1) would keep the text
        return Located(value, mark)


def _read_text(path: Path, file: str) -> str:
    """The file's text: refused over limit('yaml_bytes') before it is read, and located at its first byte that is not UTF-8."""
    bound = limit("yaml_bytes")
    try:
        size = path.stat().st_size
        if size > bound:
            raise ValueError(f"{file}:1:1: {exceeded('yaml_bytes', f'{size:,} bytes')}")
        with open(path, "rb") as fh:
            data = fh.read(bound + 1)  # a file that grows while read is cut here too
    except OSError as exc:
        raise ValueError(f"{file}:1:1: cannot read the file ({exc.strerror or exc})") from None
    if len(data) > bound:
        raise ValueError(f"{file}:1:1: {exceeded('yaml_bytes', f'more than {bound:,} bytes')}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{_byte_mark(data, exc.start, file)}: expected UTF-8 text. Received: the byte "
                         f"0x{data[exc.start]:02x}, which is not UTF-8 here (save the file as UTF-8)") from None


def _byte_mark(data: bytes, offset: int, file: str) -> Mark:
    """Where byte `offset` of valid-UTF-8-up-to-there data lies, in lines and characters."""
    start = data.rfind(b"\n", 0, offset) + 1
    return Mark(file, data.count(b"\n", 0, offset) + 1, len(data[start:offset].decode("utf-8")) + 1)


class _Open:
    """A collection being walked: its anchor, the values counted before it, and the deepest level reached in it."""

    __slots__ = ("anchor", "before", "depth", "deepest")

    def __init__(self, anchor: str | None, before: int, depth: int):
        self.anchor, self.before, self.depth, self.deepest = anchor, before, depth, depth


def _check_size(text: str, file: str) -> None:
    """Refuse too deep or too big (aliases expanded) YAML before composing; libyaml walks it, PyYAML on a syntax error."""
    if _FAST_LOADER is not None:
        try:
            return _walk(text, file, _FAST_LOADER)
        except yaml.YAMLError:
            pass
    _walk(text, file, yaml.SafeLoader)


def _walk(text: str, file: str, loader: type) -> None:
    """Count the values and levels of the parser's events (the parsers are not recursive); _Problem past a limit."""
    max_depth, max_nodes = limit("yaml_depth"), limit("yaml_nodes")
    sizes: dict[str, tuple[int, int]] = {}  # anchor -> (values, levels) of its node, expanded
    stack: list[_Open] = []
    total = 0
    for event in yaml.parse(text, Loader=loader):
        reached = len(stack)
        if isinstance(event, yaml.AliasEvent):
            if any(open_.anchor == event.anchor for open_ in stack):
                raise _Problem(_mark(file, event.start_mark), f"expected an alias to a finished value. Received: *{event.anchor} "
                                                              "inside its own anchor (a structure that contains itself)")
            values, levels = sizes.get(event.anchor, (1, 0))  # an undefined alias is reported when composing
            total, reached = total + values, reached + levels
        elif isinstance(event, (yaml.ScalarEvent, yaml.CollectionStartEvent)):
            total += 1
            if isinstance(event, yaml.CollectionStartEvent):
                stack.append(_Open(event.anchor, total - 1, len(stack) + 1))
                reached = len(stack)
            elif event.anchor is not None:
                sizes[event.anchor] = (1, 0)
        elif isinstance(event, yaml.CollectionEndEvent):
            done = stack.pop()
            if done.anchor is not None:
                sizes[done.anchor] = (total - done.before, done.deepest - done.depth + 1)
            reached = done.deepest
        if stack:
            stack[-1].deepest = max(stack[-1].deepest, reached)
        if reached > max_depth:
            raise _Problem(_mark(file, event.start_mark), exceeded("yaml_depth", f"{reached:,} levels"))
        if total > max_nodes:
            raise _Problem(_mark(file, event.start_mark), exceeded("yaml_nodes", f"{total:,} values by this point"))


def load_yaml(path: Path, display: str | None = None) -> Located:
    """Parse a YAML file into Located values; raises ValueError('FILE:L:C: message') on bad or oversized YAML."""
    file = display or str(path)
    text = _read_text(path, file)
    try:
        _check_size(text, file)
        documents = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except _Problem as problem:
        raise ValueError(f"{problem.mark}: {problem.message}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = _mark(file, mark) if mark else Mark(file, 1, 1)
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        raise ValueError(f"{where}: invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise ValueError(f"{file}:1:1: invalid YAML: {exc}") from None
    if not documents or documents[0] is None:
        raise ValueError(f"{file}:1:1: expected a mapping of experiment settings. Received: an empty file")
    if len(documents) > 1:
        second = documents[1]
        line = second.start_mark.line + 1 if second is not None else 1
        raise ValueError(f"{file}:{line}:1: expected one YAML document. Received: {len(documents)}")
    try:
        return _Converter(file).convert(documents[0])
    except _Problem as problem:
        raise ValueError(f"{problem.mark}: {problem.message}") from None
    except yaml.YAMLError as exc:
        raise ValueError(f"{file}:1:1: invalid YAML value: {exc}") from None
