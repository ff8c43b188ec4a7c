"""Datasets: find (locate), read (load) and fingerprint the images a run trains on."""

from __future__ import annotations

from reportgen.data import food101, keras_sources, local_sources  # noqa: F401  (register the sources)
from reportgen.data.dataset import Dataset, DataShape, DataSource
from reportgen.data.fingerprint import array_fingerprint, file_fingerprint
from reportgen.data.paths import search_path
from reportgen.data.sources import SOURCES, load, locate, peek
from reportgen.data.subset import stratified_subset

__all__ = [
    "Dataset",
    "DataShape",
    "DataSource",
    "SOURCES",
    "locate",
    "load",
    "peek",
    "file_fingerprint",
    "array_fingerprint",
    "stratified_subset",
    "search_path",
]
