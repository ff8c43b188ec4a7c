"""The dataset-source registry and the two entry points: locate (fast) and load."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reportgen.data.dataset import Dataset, DataShape, DataSource
from reportgen.data.paths import first_outside
from reportgen.errors import DataError
from reportgen.registry import Registry, did_you_mean

__all__ = ["Source", "SOURCES", "locate", "load", "peek", "check_options"]

Options = Mapping[str, Any]


@dataclass(frozen=True)
class Source:
    """How one dataset source is found (`locate`, no reading) and read (`read`)."""

    locate: Callable[[Options], DataSource]
    read: Callable[[DataSource, Options], Dataset]
    option_keys: tuple[str, ...] = ("classes",)
    required: tuple[str, ...] = ()
    peek: Callable[[Options], DataShape] | None = None  # image shape and class count without reading images
    # Checks of option values for this source alone; they replace the shared ones of the same key.
    value_checks: Mapping[str, Callable[[Any], str | None]] = field(default_factory=dict)


SOURCES: Registry[Source] = Registry("dataset source")


def _check_classes(value: Any) -> str | None:
    if not isinstance(value, (list, tuple)) or not value:
        return f"classes: expected a non-empty list of class names. Received: {value!r}"
    if not all(isinstance(v, str) and v.strip() for v in value):
        return f"classes: expected non-empty strings. Received: {list(value)!r}"
    if len(set(value)) != len(value):
        return f"classes: names must be unique. Received: {list(value)!r}"
    return None


def _check_path(value: Any) -> str | None:
    if not isinstance(value, (str, os.PathLike)) or not str(value).strip():
        return f"path: expected a folder path. Received: {value!r}"
    return None


_VALUE_CHECKS: dict[str, Callable[[Any], str | None]] = {
    "classes": _check_classes,
    "path": _check_path,
}


def check_options(name: str, source: Source, options: Options | None) -> dict[str, Any]:
    """Validate the options of one source; all problems are reported in one DataError line."""
    if options is not None and not isinstance(options, Mapping):
        raise DataError(
            f"dataset source '{name}': options must be a mapping. Received: {options!r}"
        )
    opts = dict(options or {})
    problems = []
    allowed = ", ".join(source.option_keys)
    for key in sorted(opts, key=str):
        if key not in source.option_keys:
            hint = did_you_mean(str(key), source.option_keys)
            problems.append(
                f"unknown option '{key}' (allowed: {allowed})" + (f".{hint}" if hint else "")
            )
        elif (check := source.value_checks.get(key, _VALUE_CHECKS.get(key))) and (problem := check(opts[key])):
            problems.append(problem)
    for key in source.required:
        if key not in opts:
            problems.append(f"missing required option '{key}' (allowed: {allowed})")
    if problems:
        raise DataError(f"dataset source '{name}': " + "; ".join(problems))
    return opts


def _source(name: str) -> Source:
    if not isinstance(name, str) or name not in SOURCES:
        raise DataError(SOURCES.unknown(str(name)))
    return SOURCES.get(name)


def locate(source: str, options: Options | None = None) -> DataSource:
    """Find where `source` will be read from, without reading or downloading anything.

    Returns files=() when the data is not in local files: the Keras loader will fetch it
    (cifar10, mnist, fashion_mnist) or it is built in memory (digits). Raises DataError for
    an unknown source, bad options, or data that is neither local nor obtainable.
    """
    spec = _source(source)
    return _contained(spec.locate(check_options(source, spec, options)))


def _contained(found: DataSource) -> DataSource:
    """A folder source's files, each inside its folder: a listing line with '..', or an image that is a link out of the
    folder, would pull the grader's other files into training (the rule `path:` follows, for every file read)."""
    if found.folder is not None:
        outside = first_outside(found.files, found.folder)
        if outside:
            raise DataError(f"dataset source '{found.source}': {outside[0]} resolves to {outside[1]}, outside the dataset's "
                            f"folder {os.path.realpath(found.folder)}",
                            hint="a listing line or a symbolic link may not lead out of the dataset's folder")
    return found


def load(source: str, options: Options | None = None) -> Dataset:
    """Locate and read `source` into a Dataset (downloading through Keras if needed)."""
    spec = _source(source)
    opts = check_options(source, spec, options)
    return spec.read(_contained(spec.locate(opts)), opts)


def peek(source: str, options: Options | None = None) -> DataShape:
    """The shape of one image and the number of classes, read from headers or known constants (no images)."""
    spec = _source(source)
    opts = check_options(source, spec, options)
    if spec.peek is not None:
        return spec.peek(opts)
    data = spec.read(spec.locate(opts), opts)
    return DataShape(tuple(int(d) for d in data.image_shape), data.n_classes)
