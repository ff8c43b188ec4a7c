"""Safe YAML loading that keeps the file, line and column of every value."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

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
        if node.tag not in _SAFE_TAGS:
            raise _Problem(mark, f"expected plain YAML data. Received: the tag '{node.tag}' (tags that build objects are not allowed)")
        if isinstance(node, yaml.MappingNode):
            self.constructor.flatten_mapping(node)
            values: dict[str, Located] = {}
            key_marks: dict[str, Mark] = {}
            for key_node, value_node in node.value:
                key = self.convert(key_node)
                if not isinstance(key.value, str):
                    raise _Problem(key.mark, f"expected a text key. Received: {key.value!r}")
                if key.value in values:
                    raise _Problem(key.mark, f"duplicate key '{key.value}' (first written at line {key_marks[key.value].line})")
                key_marks[key.value] = key.mark
                values[key.value] = self.convert(value_node)
            return Located(values, mark, key_marks)
        if isinstance(node, yaml.SequenceNode):
            return Located([self.convert(item) for item in node.value], mark)
        value = self.constructor.construct_object(node)
        if isinstance(value, str) and node.style is None and _FLOAT_1_2.fullmatch(value):
            value = float(value)  # YAML 1.2 reads `1e-3` as a number; PyYAML (1.1) would keep the text
        return Located(value, mark)


def load_yaml(path: Path, display: str | None = None) -> Located:
    """Parse a YAML file into Located values; raises ValueError('FILE:L:C: message') on bad YAML."""
    file = display or str(path)
    text = path.read_text(encoding="utf-8")
    try:
        documents = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
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
