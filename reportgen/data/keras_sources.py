"""The Keras datasets (cifar10, mnist, fashion_mnist) and notMNIST: local files first, a smaller copy, a download last."""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from reportgen.data import keras_fallback
from reportgen.data.cifarfile import (
    ARCHIVE_NAME,
    CIFAR10_CLASSES,
    FOLDER_NAME,
    batch_folder_files,
    read_cifar10,
)
from reportgen.data.dataset import Dataset, DataShape, DataSource, digit_names, make_dataset
from reportgen.data.idxfile import IDX_NAMES, find_idx_files, read_idx_dataset
from reportgen.data.paths import SYSTEM_DIRS, describe_search_path, keras_datasets_dir, search_path
from reportgen.data.sources import SOURCES, Source
from reportgen.errors import DataError

__all__ = ["FASHION_MNIST_CLASSES", "MNIST_CLASSES", "NOTMNIST_CLASSES", "NOTMNIST_URL"]

MNIST_CLASSES = digit_names(10)
FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip
NOTMNIST_CLASSES = tuple("ABCDEFGHIJ")
# The idx files the PW12 sheet points to: a 60,000 / 10,000 sample of notMNIST's letters in MNIST's format.
NOTMNIST_URL = "https://raw.githubusercontent.com/davidflanagan/notMNIST-to-MNIST/master/"


@dataclass(frozen=True)
class _Place:
    path: Path
    kind: str  # "cifar": archive or batch folder; "idx": folder of 4 idx files; "npz": mnist.npz
    subset: bool = False  # a smaller copy (a data-path folder NAME-*, such as mnist-5k/): used when no full one is found


@dataclass(frozen=True)
class _KerasDataset:
    name: str
    class_names: tuple[str, ...]
    looked_for: str
    hint: str
    places: Callable[[], list[_Place]]
    image_shape: tuple[int, int, int]
    full: str = ""  # what the full dataset holds, for a report built on a smaller copy
    download: Callable[[str, str], None] | None = None  # (not_found, hint): fetch files into the Keras cache (else load_data)


def _cifar_places() -> list[_Place]:
    places = [_Place(d / n, "cifar") for d in search_path() for n in (ARCHIVE_NAME, FOLDER_NAME)]
    cache = keras_datasets_dir()
    names = (
        ARCHIVE_NAME,
        "cifar-10-batches-py-target_archive",  # Keras 3 keeps the downloaded tar.gz under this name
        "cifar-10-batches-py.tar.gz",  # Keras 2
        f"cifar-10-batches-py-target/{FOLDER_NAME}",  # Keras 3 extraction
        FOLDER_NAME,  # Keras 2 extraction
    )
    return places + [_Place(cache / n, "cifar") for n in names]


def _mnist_places() -> list[_Place]:
    places = [
        p
        for d in search_path()
        for p in (_Place(d / "mnist", "idx"), _Place(d / "mnist.npz", "npz"))
    ]
    return places + [_Place(keras_datasets_dir() / "mnist.npz", "npz")]


def _fashion_places() -> list[_Place]:
    places = [
        _Place(d / n, "idx") for d in search_path() for n in ("fashion_mnist", "fashion-mnist")
    ]
    places += [_Place(d, "idx") for d in SYSTEM_DIRS.get("fashion_mnist", ())]
    return places + [_Place(keras_datasets_dir() / "fashion-mnist", "idx")]


def _notmnist_places() -> list[_Place]:
    return [_Place(d / "notmnist", "idx") for d in search_path()] + [_Place(keras_datasets_dir() / "notmnist", "idx")]


def _subsets(*names: str) -> list[_Place]:
    """Smaller copies on the data path, after every full one: folders NAME-* of idx files (mnist-5k/, notmnist-10k/)."""
    return [_Place(p, "idx", subset=True) for d in search_path() for name in names for p in sorted(d.glob(f"{name}-*"))
            if p.is_dir()]


def _download_notmnist(not_found: str, hint: str) -> None:
    keras_fallback.download_files(NOTMNIST_URL, tuple(f"{n}.gz" for n in IDX_NAMES), "notmnist", not_found, hint)


_IDX4 = "the four idx files (train-images-idx3-ubyte.gz, ...)"
_DATASETS = {
    "cifar10": _KerasDataset(
        "cifar10", CIFAR10_CLASSES, f"{ARCHIVE_NAME} or {FOLDER_NAME}/",
        "put the official archive in a folder on REPORTGEN_DATA_PATH.", _cifar_places, (32, 32, 3),
    ),
    "mnist": _KerasDataset(
        "mnist", MNIST_CLASSES, f"mnist/ with {_IDX4} or mnist.npz",
        "put mnist.npz, or a mnist/ folder with the four idx files, "
        "in a folder on REPORTGEN_DATA_PATH.",
        lambda: _mnist_places() + _subsets("mnist"), (28, 28, 1), full="MNIST's 60,000 / 10,000 images",
    ),
    "fashion_mnist": _KerasDataset(
        "fashion_mnist", FASHION_MNIST_CLASSES, f"fashion_mnist/ or fashion-mnist/ with {_IDX4}",
        "apt-get install dataset-fashion-mnist, or put a fashion_mnist/ folder with the four idx "
        "files in a folder on REPORTGEN_DATA_PATH.",
        lambda: _fashion_places() + _subsets("fashion_mnist", "fashion-mnist"), (28, 28, 1),
        full="Fashion-MNIST's 60,000 / 10,000 images",
    ),
    "notmnist": _KerasDataset(
        "notmnist", NOTMNIST_CLASSES, f"notmnist/ with {_IDX4}",
        f"put the four .gz files of {NOTMNIST_URL.split('/master')[0].replace('raw.githubusercontent.com', 'github.com')} "
        "in a folder notmnist/ on REPORTGEN_DATA_PATH (with a network they are downloaded into the Keras cache).",
        lambda: _notmnist_places() + _subsets("notmnist"), (28, 28, 1),
        full="notMNIST-to-MNIST's 60,000 / 10,000 images", download=_download_notmnist,
    ),
}  # fmt: skip


def _files_at(place: _Place) -> tuple[Path, ...] | None:
    if place.kind == "idx":
        return find_idx_files(place.path) if place.path.is_dir() else None
    if place.kind == "cifar" and place.path.is_dir():
        return batch_folder_files(place.path)
    return (place.path,) if place.path.is_file() else None


def _find(ds: _KerasDataset) -> DataSource | None:
    for place in ds.places():
        files = _files_at(place)
        if files:
            folder = str(place.path.absolute()) if place.path.is_dir() else None  # an archive is one file
            origin = str(place.path.absolute()) + (f" (a subset, not {ds.full})" if place.subset else "")
            return DataSource(
                ds.name, tuple(str(f.absolute()) for f in files), origin, folder=folder,
                subset=place.path.name if place.subset else None,
            )
    return None


def _not_found(ds: _KerasDataset) -> str:
    places = [describe_search_path()] + [str(d) for d in SYSTEM_DIRS.get(ds.name, ())]
    places.append(str(keras_datasets_dir()))
    where = ", ".join(places[:-1]) + f" and {places[-1]}"
    return f"dataset '{ds.name}' not found: looked for {ds.looked_for} in {where}"


def _read_npz(path: Path) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    try:
        with np.load(path, allow_pickle=False) as npz:
            x_train, y_train, x_test, y_test = (
                npz[k] for k in ("x_train", "y_train", "x_test", "y_test")
            )
    except KeyError as exc:
        raise DataError(
            f"{path}: expected arrays x_train, y_train, x_test, y_test ({exc})"
        ) from exc
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path}: cannot read npz file ({exc})") from exc
    return (x_train, y_train), (x_test, y_test)


def _read_local(ds: _KerasDataset, found: DataSource, opts: Mapping[str, Any]) -> Dataset:
    first = Path(found.files[0])
    names = ds.class_names
    if ds.name == "cifar10":
        train, test, names = read_cifar10(first if len(found.files) == 1 else first.parent)
    elif first.suffix == ".npz":
        train, test = _read_npz(first)
    else:
        train, test = read_idx_dataset(tuple(Path(f) for f in found.files))
    return make_dataset(
        ds.name,
        train,
        test,
        names,
        origin=found.origin,
        files=found.files,
        rename=opts.get("classes"),
        subset=found.subset,
    )


def _channels_last(x: np.ndarray) -> np.ndarray:
    """(N, C, H, W) -> (N, H, W, C), for a Keras configured with channels_first."""
    if x.ndim == 4 and x.shape[1] in (1, 3) and x.shape[-1] not in (1, 3):
        return np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    return x


def _locate(ds: _KerasDataset, opts: Mapping[str, Any]) -> DataSource:
    found = _find(ds)
    if found is not None:
        return found
    if not keras_fallback.keras_available():
        raise DataError(
            f"{_not_found(ds)}, and Keras is not installed to download it.", hint=ds.hint
        )
    how = f"{NOTMNIST_URL}*.gz" if ds.download else f"keras.datasets.{ds.name}.load_data()"
    return DataSource(ds.name, (), f"{how} (downloads into {keras_datasets_dir()})")


def _read(ds: _KerasDataset, found: DataSource, opts: Mapping[str, Any]) -> Dataset:
    if found.files:
        return _read_local(ds, found, opts)
    if ds.download is not None:  # files into the Keras cache, then read from there as any local copy
        ds.download(_not_found(ds), ds.hint)
        cached = _find(ds)
        if cached is None:
            raise DataError(f"{_not_found(ds)}: downloaded, yet not found afterwards", hint=ds.hint)
        return _read_local(ds, cached, opts)
    (x_train, y_train), (x_test, y_test) = keras_fallback.download(ds.name, _not_found(ds), ds.hint)
    # Keras has cached the files now: read those, so the next build finds the same files.
    cached = _find(ds)
    if cached is not None:
        return _read_local(ds, cached, opts)
    train, test = (_channels_last(x_train), y_train), (_channels_last(x_test), y_test)
    return make_dataset(
        ds.name, train, test, ds.class_names, origin=found.origin, rename=opts.get("classes")
    )


def _register(ds: _KerasDataset) -> None:
    def locate(opts: Mapping[str, Any]) -> DataSource:
        return _locate(ds, opts)

    def read(found: DataSource, opts: Mapping[str, Any]) -> Dataset:
        return _read(ds, found, opts)

    def peek(opts: Mapping[str, Any]) -> DataShape:
        return DataShape(ds.image_shape, len(ds.class_names))

    SOURCES.register(ds.name)(Source(locate=locate, read=read, peek=peek))


for _ds in _DATASETS.values():
    _register(_ds)
