"""Dataset and DataSource: the frozen values the data stage hands to the runner."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from reportgen.errors import DataError

__all__ = ["DataShape", "Dataset", "DataSource", "make_dataset", "digit_names"]


@dataclass(frozen=True)
class DataSource:
    """Where a dataset will be read from, found without reading it."""

    source: str
    files: tuple[str, ...]  # empty: not in local files (Keras download or built in memory)
    origin: str
    folder: str | None = None  # a folder source's folder: every file must lie in it, links and '..' resolved
    subset: str | None = None  # a smaller copy of the dataset was found (a data-path folder such as mnist-5k/): its name


@dataclass(frozen=True)
class DataShape:
    """What a model needs to know of a dataset before any image is read: one image's shape and the class count."""

    image_shape: tuple[int, ...]  # (H, W, C)
    n_classes: int


@dataclass(frozen=True, eq=False)  # arrays: compare with array_fingerprint, not ==
class Dataset:
    """Train/test images as read-only uint8 (N, H, W, C) arrays with int64 labels."""

    source: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    max_value: int
    origin: str
    files: tuple[str, ...]
    x_val: np.ndarray | None = None  # held out of the training images for validation (run.prepared), if any
    y_val: np.ndarray | None = None
    subset: str | None = None  # read from a smaller copy of the dataset (DataSource.subset): the report says so

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def image_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])


def digit_names(n: int) -> tuple[str, ...]:
    """Class names '0', '1', ... for labels that are their own names."""
    return tuple(str(i) for i in range(n))


def _images(x: np.ndarray, what: str, origin: str) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype != np.uint8:
        raise DataError(f"{origin}: {what} must be uint8 images. Received dtype {x.dtype}")
    if x.ndim == 3:
        x = x[..., np.newaxis]
    if x.ndim != 4:
        raise DataError(f"{origin}: {what} must have shape (N, H, W[, C]). Received {x.shape}")
    return x


def _labels(y: np.ndarray, n: int, what: str, origin: str) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or y.shape[0] != n:
        raise DataError(f"{origin}: {what} must have shape ({n},). Received {y.shape}")
    if y.dtype.kind not in "iu":
        raise DataError(f"{origin}: {what} must be integers. Received dtype {y.dtype}")
    if y.size and y.min() < 0:
        raise DataError(f"{origin}: {what} must be non-negative. Received {int(y.min())}")
    return y.astype(np.int64, copy=False)


def _frozen(a: np.ndarray) -> np.ndarray:
    if a.flags.writeable:
        a = a.view()
        a.flags.writeable = False
    return a


def make_dataset(
    source: str,
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    class_names: Sequence[str] | None,
    *,
    max_value: int = 255,
    origin: str,
    files: Sequence[str] = (),
    rename: Sequence[str] | None = None,
    subset: str | None = None,
) -> Dataset:
    """Check and normalise arrays into a Dataset; `rename` replaces the class names.

    Images stay uint8 (a channel axis is added to grey images, without copying); labels
    become int64 (N,); all arrays are made read-only so a cached Dataset cannot be mutated.
    Default class names are the label values as strings.
    """
    x_train = _images(train[0], "training images", origin)
    x_test = _images(test[0], "test images", origin)
    if x_train.shape[1:] != x_test.shape[1:]:
        raise DataError(
            f"{origin}: training and test images differ in shape: "
            f"{x_train.shape[1:]} vs {x_test.shape[1:]}"
        )
    y_train = _labels(train[1], len(x_train), "training labels", origin)
    y_test = _labels(test[1], len(x_test), "test labels", origin)
    top = max([int(y.max()) for y in (y_train, y_test) if y.size] or [-1])
    names = tuple(class_names) if class_names is not None else digit_names(top + 1)
    if rename is not None:
        if len(rename) != len(names):
            raise DataError(
                f"classes: expected {len(names)} names for dataset '{source}'. "
                f"Received {len(rename)}: {list(rename)}"
            )
        names = tuple(rename)
    if top >= len(names):
        raise DataError(
            f"{origin}: label {top} has no class name; {len(names)} classes: {list(names)}"
        )
    return Dataset(
        source=source,
        x_train=_frozen(x_train),
        y_train=_frozen(y_train),
        x_test=_frozen(x_test),
        y_test=_frozen(y_test),
        class_names=names,
        max_value=int(max_value),
        origin=origin,
        files=tuple(str(f) for f in files),
        subset=subset,
    )
