"""The MNIST idx file format: find the four files of a dataset folder and parse them."""

from __future__ import annotations

import gzip
import struct
import zlib
from math import prod
from pathlib import Path

import numpy as np

from reportgen.errors import DataError

__all__ = ["IDX_NAMES", "find_idx_files", "missing_idx_files", "read_idx", "read_idx_dataset", "read_idx_shape"]

# In the order the files are read and fingerprinted: train images/labels, test images/labels.
IDX_NAMES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)

_DTYPES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_GZIP_MAGIC = b"\x1f\x8b"


def _candidates(folder: Path, name: str) -> list[Path]:
    dotted = name.replace("-idx", ".idx")  # some mirrors spell them train-images.idx3-ubyte
    return [folder / f"{stem}{ext}" for stem in (name, dotted) for ext in (".gz", "")]


def _find_one(folder: Path, name: str) -> Path | None:
    for candidate in _candidates(folder, name):
        if candidate.is_file():
            return candidate
    return None


def find_idx_files(folder: Path) -> tuple[Path, ...] | None:
    """The four idx files in `folder` (gzipped or plain), or None unless all four exist."""
    found = tuple(_find_one(folder, name) for name in IDX_NAMES)
    return None if any(f is None for f in found) else found  # type: ignore[return-value]


def missing_idx_files(folder: Path) -> list[str]:
    """Names (with .gz) of the idx files that `folder` lacks."""
    return [f"{name}.gz" for name in IDX_NAMES if _find_one(folder, name) is None]


def _read_bytes(path: Path) -> bytes:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
        if data[:2] == _GZIP_MAGIC:
            data = gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: cannot read idx file ({exc})") from exc
    return data


def read_idx(path: Path) -> np.ndarray:
    """Parse one idx file (gzip detected from its content) into a read-only array."""
    data = _read_bytes(path)
    if len(data) < 4 or data[:2] != b"\x00\x00":
        raise DataError(f"{path}: not an idx file (bad magic number {data[:4].hex() or 'empty'})")
    type_code, ndim = data[2], data[3]
    if type_code not in _DTYPES:
        raise DataError(f"{path}: bad idx header: unknown data type code 0x{type_code:02x}")
    if ndim == 0:
        raise DataError(f"{path}: bad idx header: zero dimensions")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{path}: truncated idx header: {ndim} dimensions need {header} bytes")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    dtype = np.dtype(_DTYPES[type_code])
    expected = prod(dims) * dtype.itemsize
    found = len(data) - header
    if found != expected:
        problem = "truncated" if found < expected else "has trailing bytes"
        raise DataError(
            f"{path}: idx file {problem}: shape {dims} needs {expected} data bytes, found {found}"
        )
    return np.frombuffer(data, dtype=dtype, count=prod(dims), offset=header).reshape(dims)


def read_idx_shape(path: Path) -> tuple[int, ...]:
    """The dimensions in an idx file's header, reading only the header (gzip or plain)."""
    try:
        with (gzip.open(path, "rb") if _is_gzip(path) else open(path, "rb")) as fh:
            head = fh.read(4)
            if len(head) < 4 or head[:2] != b"\x00\x00" or head[3] == 0:
                raise DataError(f"{path}: not an idx file (bad magic number {head.hex() or 'empty'})")
            dims = fh.read(4 * head[3])
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: cannot read idx file ({exc})") from exc
    if len(dims) < 4 * head[3]:
        raise DataError(f"{path}: truncated idx header")
    return struct.unpack(f">{head[3]}I", dims)


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == _GZIP_MAGIC


def _check(images: np.ndarray, labels: np.ndarray, files: tuple[Path, Path]) -> None:
    if images.dtype != np.uint8 or images.ndim not in (3, 4):
        raise DataError(
            f"{files[0]}: expected uint8 images of shape (N, H, W[, C]). "
            f"Received {images.dtype} {images.shape}"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise DataError(
            f"{files[1]}: expected uint8 labels of shape (N,). "
            f"Received {labels.dtype} {labels.shape}"
        )
    if len(images) != len(labels):
        raise DataError(
            f"{files[1]}: {len(labels)} labels for {len(images)} images in {files[0].name}"
        )


def read_idx_dataset(
    files: tuple[Path, ...],
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Read the four files from `find_idx_files` into ((x_train, y_train), (x_test, y_test))."""
    arrays = [read_idx(Path(f)) for f in files]
    _check(arrays[0], arrays[1], (Path(files[0]), Path(files[1])))
    _check(arrays[2], arrays[3], (Path(files[2]), Path(files[3])))
    return (arrays[0], arrays[1]), (arrays[2], arrays[3])
