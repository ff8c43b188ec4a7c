"""The official CIFAR-10 python format: pickled batches, read from the tar or a folder."""

from __future__ import annotations

import io
import pickle
import tarfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from reportgen.data.idxfile import check_ratio
from reportgen.errors import DataError
from reportgen.limits import exceeded, limit

__all__ = [
    "ARCHIVE_NAME",
    "FOLDER_NAME",
    "BATCH_NAMES",
    "META_NAME",
    "CIFAR10_CLASSES",
    "RestrictedUnpickler",
    "unpickle",
    "batch_folder_files",
    "read_cifar10",
]

ARCHIVE_NAME = "cifar-10-python.tar.gz"
FOLDER_NAME = "cifar-10-batches-py"
BATCH_NAMES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)
META_NAME = "batches.meta"
CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)  # fmt: skip
_SIDE = 32


def _allowed_globals() -> dict[tuple[str, str], Any]:
    """The only globals an array pickle needs, under numpy 1 and numpy 2 module names."""
    try:
        from numpy._core import multiarray, numeric
    except ImportError:  # numpy < 2
        from numpy.core import multiarray, numeric  # type: ignore[no-redef]
    allowed: dict[tuple[str, str], Any] = {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
    }
    for package in ("numpy.core", "numpy._core"):
        allowed[(f"{package}.multiarray", "_reconstruct")] = multiarray._reconstruct
        allowed[(f"{package}.multiarray", "scalar")] = multiarray.scalar
        allowed[(f"{package}.numeric", "_frombuffer")] = numeric._frombuffer
    return allowed


class RestrictedUnpickler(pickle.Unpickler):
    """An Unpickler that rebuilds numpy arrays and plain containers, and nothing else."""

    def __init__(self, file: io.BufferedIOBase, where: str):
        super().__init__(file, encoding="bytes")  # Python 2 str -> bytes, as the files expect
        self.where = where
        self._allowed = _allowed_globals()

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise DataError(
                f"{self.where}: refusing to unpickle global '{module}.{name}': only numpy "
                "arrays are allowed in CIFAR batches; the file is corrupted or malicious"
            ) from None


def unpickle(data: bytes, where: str) -> Any:
    """Load one pickle with RestrictedUnpickler; any failure becomes a one-line DataError."""
    try:
        return RestrictedUnpickler(io.BytesIO(data), where).load()
    except DataError:
        raise
    except Exception as exc:  # a corrupt pickle can fail in many ways
        raise DataError(f"{where}: cannot unpickle ({type(exc).__name__}: {exc})") from exc


def batch_folder_files(folder: Path) -> tuple[Path, ...] | None:
    """The batch files of an extracted cifar-10-batches-py/ folder (+ batches.meta), or None."""
    batches = [folder / name for name in BATCH_NAMES]
    if not all(p.is_file() for p in batches):
        return None
    meta = folder / META_NAME
    return tuple(batches) + ((meta,) if meta.is_file() else ())


def _wanted(name: str) -> bool:
    return name in BATCH_NAMES or name == META_NAME


def _iter_members(path: Path) -> Iterator[tuple[str, bytes, str]]:
    """Yield (name, content, where) of the batch files, from a folder or streamed from a tar, sizes bounded first."""
    if path.is_dir():
        total = 0
        for name in BATCH_NAMES + (META_NAME,):
            member = path / name
            if member.is_file():
                total = _bounded(member, member.stat().st_size, total)
                yield name, member.read_bytes(), str(member)
        return
    seen: set[str] = set()
    total, stored = 0, path.stat().st_size
    try:
        with tarfile.open(path, "r|*") as tar:
            for info in tar:
                total = _bounded(f"{path}:{info.name}", info.size, total, stored)  # before it is read, or skipped
                name = PurePosixPath(info.name).name
                if info.isfile() and _wanted(name) and name not in seen:
                    seen.add(name)
                    handle = tar.extractfile(info)
                    assert handle is not None
                    yield name, handle.read(info.size), f"{path}:{info.name}"
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: cannot read CIFAR-10 archive ({exc})") from exc


def _bounded(where: Path | str, size: int, total: int, stored: int | None = None) -> int:
    """The bytes so far with this member's: DataError past limit('data_bytes') or what `stored` compressed bytes can hold."""
    total += size
    if total > limit("data_bytes"):
        raise DataError(f"{where}: {exceeded('data_bytes', f'{total:,} bytes in the members up to this one')}")
    if stored is not None:
        check_ratio(where, total, stored, f"{total:,} bytes of members up to this one")
    return total


def _field(batch: dict, key: str) -> Any:
    return batch.get(key.encode(), batch.get(key))


def _parse_batch(obj: Any, where: str) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(obj, dict):
        raise DataError(f"{where}: expected a dict batch. Received {type(obj).__name__}")
    data, labels = _field(obj, "data"), _field(obj, "labels")
    size = 3 * _SIDE * _SIDE
    if (
        not isinstance(data, np.ndarray)
        or data.dtype != np.uint8
        or data.ndim != 2
        or data.shape[1] != size
    ):
        shape = getattr(data, "shape", None)
        raise DataError(f"{where}: expected b'data' uint8 of shape (N, {size}). Received {shape}")
    try:
        y = np.asarray(labels, dtype=np.int64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{where}: b'labels' is not a list of integers") from exc
    if y.shape != (data.shape[0],):
        raise DataError(f"{where}: {y.size} labels for {data.shape[0]} images")
    return data.reshape(-1, 3, _SIDE, _SIDE).transpose(0, 2, 3, 1), y


def _parse_meta(obj: Any, where: str) -> tuple[str, ...]:
    names = _field(obj, "label_names") if isinstance(obj, dict) else None
    if not isinstance(names, (list, tuple)) or not names:
        raise DataError(f"{where}: expected b'label_names' in batches.meta")
    return tuple(n.decode("utf-8") if isinstance(n, bytes) else str(n) for n in names)


def read_cifar10(
    path: Path,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], tuple[str, ...]]:
    """Read ((x_train, y_train), (x_test, y_test), class_names) from the archive or folder."""
    batches: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    names = CIFAR10_CLASSES
    for name, content, where in _iter_members(Path(path)):
        obj = unpickle(content, where)
        if name == META_NAME:
            names = _parse_meta(obj, where)
        else:
            batches[name] = _parse_batch(obj, where)
    missing = [name for name in BATCH_NAMES if name not in batches]
    if missing:
        raise DataError(
            f"{path}: not a complete CIFAR-10 python archive: missing {', '.join(missing)}"
        )
    train = [batches[name] for name in BATCH_NAMES[:-1]]
    x_train = np.concatenate([x for x, _ in train])  # one contiguous uint8 copy
    y_train = np.concatenate([y for _, y in train])
    x_test, y_test = batches["test_batch"]
    return (x_train, y_train), (np.ascontiguousarray(x_test), y_test), names
