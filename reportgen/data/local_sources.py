"""Sources that never download: any idx folder (`idx`) and scikit-learn's bundled `digits`."""

from __future__ import annotations

import importlib.metadata
import importlib.util
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from reportgen.data.dataset import Dataset, DataSource, digit_names, make_dataset
from reportgen.data.idxfile import find_idx_files, missing_idx_files, read_idx_dataset
from reportgen.data.paths import describe_search_path, search_path
from reportgen.data.sources import SOURCES, Source
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
    return DataSource("idx", tuple(str(f) for f in files), str(folder))


def _read_idx(found: DataSource, opts: Mapping[str, Any]) -> Dataset:
    train, test = read_idx_dataset(tuple(Path(f) for f in found.files))
    return make_dataset(
        "idx", train, test, None, origin=found.origin, files=found.files, rename=opts.get("classes")
    )


def _locate_digits(opts: Mapping[str, Any]) -> DataSource:
    if importlib.util.find_spec("sklearn") is None:
        raise DataError(
            "dataset 'digits' needs scikit-learn, which is not installed.",
            hint="pip install scikit-learn",
        )
    version = importlib.metadata.version("scikit-learn")
    return DataSource("digits", (), f"scikit-learn {version} load_digits() (bundled 8x8 digits)")


def _read_digits(found: DataSource, opts: Mapping[str, Any]) -> Dataset:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    images = bunch.images.astype(np.uint8)[..., np.newaxis]  # values 0..16, exact in uint8
    labels = bunch.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        images,
        labels,
        test_size=DIGITS_TEST_FRACTION,
        stratify=labels,
        random_state=DIGITS_SPLIT_SEED,
    )
    return make_dataset(
        "digits",
        (x_train, y_train),
        (x_test, y_test),
        digit_names(10),
        max_value=16,
        origin=found.origin,
        rename=opts.get("classes"),
    )


SOURCES.register("idx")(
    Source(locate=_locate_idx, read=_read_idx, option_keys=("path", "classes"), required=("path",))
)
SOURCES.register("digits")(Source(locate=_locate_digits, read=_read_digits))
