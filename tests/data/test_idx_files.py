"""The idx parser reads gz and plain files and rejects bad headers naming the file."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
from datafiles import write_idx_dataset, write_idx_file

from reportgen.data import load
from reportgen.data.idxfile import read_idx
from reportgen.errors import DataError


@pytest.mark.parametrize("name", ["a-idx3-ubyte.gz", "a-idx3-ubyte"])
def test_round_trip(tmp_path, name):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    out = read_idx(write_idx_file(tmp_path / name, array))
    np.testing.assert_array_equal(out, array)
    assert out.dtype == np.uint8


def test_wider_types_are_big_endian(tmp_path):
    array = np.array([1, 256, -3], dtype=np.int32)
    np.testing.assert_array_equal(read_idx(write_idx_file(tmp_path / "x-idx1", array)), array)


U8 = b"\x00\x00\x08"  # magic of unsigned-byte idx files, before the number of dimensions
BAD_FILES = {
    "empty": (b"", r"not an idx file \(bad magic number empty\)"),
    "magic": (
        b"\x01" + U8[1:] + b"\x01" + struct.pack(">I", 1) + b"\x00",
        r"bad magic number 01000801",
    ),
    "type": (b"\x00\x00\x07\x01" + struct.pack(">I", 1) + b"\x00", r"unknown data type code 0x07"),
    "ndim": (U8 + b"\x00", r"zero dimensions"),
    "header": (U8 + b"\x03" + struct.pack(">I", 5), r"truncated idx header: 3 dimensions need 16"),
    "data": (
        U8 + b"\x02" + struct.pack(">II", 2, 3) + bytes(5),
        r"idx file truncated: shape \(2, 3\) needs 6 data bytes, found 5",
    ),
    "trailing": (U8 + b"\x01" + struct.pack(">I", 2) + bytes(3), r"has trailing bytes"),
}


@pytest.mark.parametrize("content, message", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_headers_name_the_file(tmp_path, content, message):
    path = tmp_path / "bad-idx3-ubyte"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message) as info:
        read_idx(path)
    assert str(info.value).startswith(f"{path}: ") and "\n" not in str(info.value)


def test_corrupt_gzip(tmp_path):
    path = tmp_path / "bad-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(b"\x00\x00\x08\x01" + struct.pack(">I", 100) + bytes(100))[:-12])
    with pytest.raises(DataError, match=rf"{path}: cannot read idx file"):
        read_idx(path)


def test_load_reports_the_bad_file(tmp_path):
    folder = write_idx_dataset(tmp_path / "d", 10, 10)
    bad = folder / "t10k-images-idx3-ubyte.gz"
    bad.write_bytes(
        gzip.compress(b"\x00\x00\x08\x03" + struct.pack(">III", 10, 28, 28) + bytes(100))
    )
    with pytest.raises(DataError, match=rf"^{bad}: idx file truncated"):
        load("idx", {"path": str(folder)})


def test_label_count_must_match_images(tmp_path):
    folder = write_idx_dataset(tmp_path / "d", 10, 10)
    write_idx_file(folder / "train-labels-idx1-ubyte.gz", np.zeros(9, np.uint8))
    with pytest.raises(DataError, match=r"9 labels for 10 images in train-images-idx3-ubyte\.gz"):
        load("idx", {"path": str(folder)})


def test_non_uint8_images_are_refused(tmp_path):
    folder = write_idx_dataset(tmp_path / "d", 10, 10)
    write_idx_file(folder / "train-images-idx3-ubyte.gz", np.zeros((10, 28, 28), np.int32))
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte\.gz: expected uint8 images"):
        load("idx", {"path": str(folder)})
