"""The data layer's calls for an experiment's datasets, each error located at the dataset's line with what to do."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, TypeVar

from ..data import DataShape, DataSource, Dataset, load, locate, peek
from ..errors import DataError
from ..spec import DatasetSpec

__all__ = ["load_dataset", "locate_dataset", "peek_dataset"]

T = TypeVar("T")

_FIX = ("put the folder there, or add the folder that holds it to REPORTGEN_DATA_PATH (folders separated by ':'); "
        "a relative path is read from the experiment's folder first")


def _located(dataset: DatasetSpec, exc: DataError) -> DataError:
    """The data layer's error, said at the dataset's FILE:LINE:COL; a `path:` that exists nowhere says where it was
    looked for (the experiment's folder, each REPORTGEN_DATA_PATH folder) and how to fix it."""
    if not dataset.where:  # a spec made in code, not read from a file
        return exc
    path = dataset.options.get("path")
    if path is not None and not Path(path).exists():
        written, looked = dataset.looked_in
        return DataError(f"{dataset.where}: folder '{written or path}' not found; looked in {looked or path}", hint=_FIX)
    return DataError(f"{dataset.where}: {exc.message}", hint=exc.hint)


def _calling(read: Callable[[str, Any], T], dataset: DatasetSpec) -> T:
    try:
        return read(dataset.source, dataset.options)
    except DataError as exc:
        raise _located(dataset, exc) from exc


def locate_dataset(dataset: DatasetSpec) -> DataSource:
    return _calling(locate, dataset)


def load_dataset(dataset: DatasetSpec) -> Dataset:
    return _calling(load, dataset)


def peek_dataset(dataset: DatasetSpec) -> DataShape:
    return _calling(peek, dataset)
