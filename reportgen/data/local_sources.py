"""Sources that never download: any idx folder (`idx`) and scikit-learn's bundled `digits`."""

from __future__ import annotations

import importlib.metadata
import importlib.util
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from reportgen.data.dataset import Dataset, DataShape, DataSource, digit_names, make_dataset
from reportgen.data.idxfile import find_idx_files, missing_idx_files, read_idx, read_idx_dataset, read_idx_shape
from reportgen.data.paths import describe_search_path, search_path
from reportgen.data.sources import SOURCES, Source
from reportgen.data.subset import stratified_subset
from reportgen.errors import DataError

__all__ = ["DIGITS_TEST_FRACTION", "DIGITS_SPLIT_SEED"]

DIGITS_TEST_FRACTION = 0.25
DIGITS_SPLIT_SEED = 0


def _idx_folder(raw: Any) -> Path:
    """An absolute `path` as given; a relative one in the working dir, then on the search path."""
    path = Path(str(raw)).expanduser()
    candidates = (
        [path] if path.is_absolute() else [Path.cwd() / path] + [d / path for d in search_path()]
    )
    for candidate in candidates:
        if candidate.is_dir():
            return candidate.absolute()
        if candidate.exists():
            raise DataError(
                f"dataset source 'idx': path {candidate} is a file; expected a folder of idx files"
            )
    where = "" if path.is_absolute() else f" (looked in {Path.cwd()} and {describe_search_path()})"
    raise DataError(f"dataset source 'idx': folder '{raw}' not found{where}")


def _locate_idx(opts: Mapping[str, Any]) -> DataSource:
    folder = _idx_folder(opts["path"])
    files = find_idx_files(folder)
    if files is None:
        missing = ", ".join(missing_idx_files(folder))
        raise DataError(f"dataset source 'idx': {folder} lacks {missing} (gzipped or plain)")
    return DataSource("idx", tuple(str(f) for f in files), str(folder), folder=str(folder))


def _read_idx(found: DataSource, opts: Mapping[str, Any]) -> Dataset:
    train, test = read_idx_dataset(tuple(Path(f) for f in found.files))
    return make_dataset(
        "idx", train, test, None, origin=found.origin, files=found.files, rename=opts.get("classes")
    )


def _locate_digits(opts: Mapping[str, Any]) -> DataSource:
    """The CSV that scikit-learn ships, found without importing scikit-learn (a second of start-up)."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise DataError(
            "dataset 'digits' needs scikit-learn, which is not installed.",
            hint="pip install scikit-learn",
        )
    csv = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz"
    if not csv.is_file():
        raise DataError(f"dataset 'digits' not found: scikit-learn has no {csv}.", hint="reinstall scikit-learn")
    version = importlib.metadata.version("scikit-learn")
    return DataSource("digits", (str(csv),), f"scikit-learn {version} bundled 8x8 digits ({csv.name})")


def _read_digits(found: DataSource, opts: Mapping[str, Any]) -> Dataset:
    """1,797 images of 64 values 0..16 and a label per row; a stratified 75/25 split of our own."""
    table = np.loadtxt(found.files[0], delimiter=",", dtype=np.int64)
    images = table[:, :-1].astype(np.uint8).reshape(-1, 8, 8, 1)  # values 0..16, exact in uint8
    labels = table[:, -1]
    test = stratified_subset(labels, round(len(labels) * DIGITS_TEST_FRACTION), DIGITS_SPLIT_SEED)
    train = np.setdiff1d(np.arange(len(labels)), test)
    x_train, y_train, x_test, y_test = images[train], labels[train], images[test], labels[test]
    return make_dataset(
        "digits",
        (x_train, y_train),
        (x_test, y_test),
        digit_names(10),
        max_value=16,
        origin=found.origin,
        files=found.files,
        rename=opts.get("classes"),
    )


def _peek_idx(opts: Mapping[str, Any]) -> DataShape:
    """The image shape from the training images' header; the classes from the (small) label files."""
    files = [Path(f) for f in _locate_idx(opts).files]
    dims = read_idx_shape(files[0])
    shape = (*dims[1:], 1) if len(dims) == 3 else tuple(dims[1:])
    top = max(int(read_idx(f).max(initial=0)) for f in (files[1], files[3]))
    return DataShape(tuple(int(d) for d in shape), len(opts["classes"]) if opts.get("classes") else top + 1)


SOURCES.register("idx")(
    Source(locate=_locate_idx, read=_read_idx, option_keys=("path", "classes"), required=("path",), peek=_peek_idx)
)
SOURCES.register("digits")(Source(locate=_locate_digits, read=_read_digits, peek=lambda opts: DataShape((8, 8, 1), 10)))
