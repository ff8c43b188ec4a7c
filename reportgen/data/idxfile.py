"""The MNIST idx file format: find the four files of a dataset folder and parse them."""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from contextlib import nullcontext
from math import prod
from pathlib import Path
from typing import BinaryIO

import numpy as np

from reportgen.errors import DataError
from reportgen.limits import exceeded, limit

__all__ = ["IDX_NAMES", "MAX_RATIO", "check_ratio", "find_idx_files", "missing_idx_files", "read_idx", "read_idx_dataset",
           "read_idx_shape"]

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


# Deflate cannot expand data more than ~1,032 times. Real image sets compress far less (MNIST ~5x, even sparse binary
# sprites ~40x), so a compressed file that promises more than MAX_RATIO times its size is near-constant data: a
# decompression bomb, or blank data better stored plain. Payloads under _RATIO_FLOOR (test fixtures, sorted label
# files) cannot exhaust anything and are not judged by their ratio.
MAX_RATIO = 500
_RATIO_FLOOR = 1 << 16
_CHUNK = 1 << 22  # decompressed bytes per read


def _header(stream: BinaryIO, path: Path) -> tuple[np.dtype, tuple[int, ...], int]:
    """(dtype, dims, header bytes) from the start of an idx stream; DataError naming the file if it is not one."""
    magic = stream.read(4)
    if len(magic) < 4 or magic[:2] != b"\x00\x00":
        raise DataError(f"{path}: not an idx file (bad magic number {magic[:4].hex() or 'empty'})")
    type_code, ndim = magic[2], magic[3]
    if type_code not in _DTYPES:
        raise DataError(f"{path}: bad idx header: unknown data type code 0x{type_code:02x}")
    if ndim == 0:
        raise DataError(f"{path}: bad idx header: zero dimensions")
    header = 4 + 4 * ndim
    raw = stream.read(4 * ndim)
    if len(raw) < 4 * ndim:
        raise DataError(f"{path}: truncated idx header: {ndim} dimensions need {header} bytes")
    return np.dtype(_DTYPES[type_code]), struct.unpack(f">{ndim}I", raw), header


def _check_payload(path: Path, dims: tuple[int, ...], expected: int, header: int, size: int, gzipped: bool) -> None:
    """Before decompressing: DataError past limit('data_bytes'), on a plain file's wrong size, or a gzip's ratio past MAX_RATIO."""
    if header + expected > limit("data_bytes"):
        raise DataError(f"{path}: {exceeded('data_bytes', f'{header + expected:,} bytes (an idx header for shape {dims})')}")
    if not gzipped and size != header + expected:
        problem = "truncated" if size < header + expected else "has trailing bytes"
        raise DataError(f"{path}: idx file {problem}: shape {dims} needs {expected} data bytes, found {size - header}")
    if gzipped:
        check_ratio(path, expected, size, f"the {expected:,} bytes of shape {dims}")


def check_ratio(path: Path | str, content: int, stored: int, what: str) -> None:
    """DataError unless `content` bytes could come from `stored` compressed bytes of image data (at most MAX_RATIO)."""
    if content > max(MAX_RATIO * stored, _RATIO_FLOOR):
        raise DataError(f"{path}: expected a compressed file at most {MAX_RATIO} times smaller than its content (image "
                        f"data compresses far less). Received: {stored:,} bytes for {what}; a genuine file this "
                        "compressible can be stored uncompressed")


def _read_payload(stream: BinaryIO, path: Path, dims: tuple[int, ...], expected: int) -> np.ndarray:
    """Exactly `expected` bytes, read in chunks into one buffer; then one byte more must not be there."""
    out = np.empty(expected, dtype=np.uint8)
    view, found = memoryview(out), 0
    while found < expected:
        got = stream.readinto(view[found:found + _CHUNK])
        if not got:
            raise DataError(f"{path}: idx file truncated: shape {dims} needs {expected} data bytes, found {found}")
        found += got
    if stream.read(1):
        raise DataError(f"{path}: idx file has trailing bytes: shape {dims} needs {expected} data bytes, found more")
    return out


def read_idx(path: Path) -> np.ndarray:
    """Parse one idx file (gzip detected from its content) into a read-only array; its header bounds what is read."""
    try:
        with open(path, "rb") as raw:
            size = os.fstat(raw.fileno()).st_size
            gzipped = raw.read(2) == _GZIP_MAGIC
            raw.seek(0)
            with gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else nullcontext(raw) as stream:
                dtype, dims, header = _header(stream, path)
                expected = prod(dims) * dtype.itemsize
                _check_payload(path, dims, expected, header, size, gzipped)
                data = _read_payload(stream, path, dims, expected)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: cannot read idx file ({exc})") from exc
    array = data.view(dtype).reshape(dims)
    array.flags.writeable = False
    return array


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
