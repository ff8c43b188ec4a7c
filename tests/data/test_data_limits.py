"""Data files bound what they decompress from their headers, before the work: bombs are one-line DataErrors."""

from __future__ import annotations

import gzip
import io
import struct
import tarfile
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from datafiles import write_cifar10_archive, write_cifar10_batches, write_food101, write_idx_file

from reportgen.data import load
from reportgen.data.cifarfile import read_cifar10
from reportgen.data.idxfile import read_idx
from reportgen.errors import DataError
from reportgen.limits import ENV_VAR

U8 = b"\x00\x00\x08"  # magic of unsigned-byte idx files, before the number of dimensions


def _header(*dims: int) -> bytes:
    return U8 + bytes([len(dims)]) + struct.pack(f">{len(dims)}I", *dims)


def _refused(path: Path, pattern: str) -> str:
    start = time.perf_counter()
    with pytest.raises(DataError, match=pattern) as info:
        read_idx(path)
    assert time.perf_counter() - start < 1
    message = str(info.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    return message


def _zeros_gzip(n: int) -> bytes:
    """A gzip member of n zero bytes, written in pieces (as a bomb would be)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(1 << 20)
    parts = [compressor.compress(chunk) for _ in range(n >> 20)]
    return b"".join([*parts, compressor.compress(bytes(n % (1 << 20))), compressor.flush()])


def test_a_header_claiming_more_than_the_data_limit_is_refused_unread(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(_header(4_000_000_000, 4_000, 4_000) + bytes(100)))
    message = _refused(path, r"expected at most 4,000,000,000 bytes one data file decompresses to")
    assert "(4000000000, 4000, 4000)" in message and "--limit data_bytes=N" in message


def test_a_small_gzip_claiming_a_large_payload_is_refused(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(_header(60_000, 100, 100) + bytes(1_000)))  # 600 MB promised by ~60 bytes
    _refused(path, r"expected a compressed file at most 500 times smaller than its content")


def test_real_zeros_compressed_a_thousandfold_are_refused_before_they_are_decompressed(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    n = 16_000 * 28 * 28  # 12.5 MB of zeros in ~12 KB
    path.write_bytes(gzip.compress(_header(16_000, 28, 28)) + _zeros_gzip(n))
    assert path.stat().st_size * 500 < n
    _refused(path, r"at most 500 times smaller than its content .*Received: [\d,]+ bytes for the 12,544,000 bytes")


class _Counting(io.FileIO):
    """A file that counts the bytes read from it."""

    read_so_far = 0

    def read(self, size=-1):
        data = super().read(size)
        _Counting.read_so_far += len(data)
        return data

    def readinto(self, buffer):
        n = super().readinto(buffer)
        _Counting.read_so_far += n or 0
        return n


@pytest.fixture
def bytes_read(monkeypatch):
    """How many bytes read_idx reads from its files."""
    from reportgen.data import idxfile

    _Counting.read_so_far = 0
    monkeypatch.setattr(idxfile, "open", lambda path, mode="rb": _Counting(path, "rb"), raising=False)
    return lambda: _Counting.read_so_far


def test_a_plain_file_must_have_the_size_its_header_says_before_it_is_read(tmp_path, bytes_read):
    path = tmp_path / "train-images-idx3-ubyte"
    with open(path, "wb") as fh:
        fh.write(_header(1_000, 1_000))
        fh.truncate(64 << 20)  # 64 MiB, sparse
    _refused(path, r"idx file has trailing bytes: shape \(1000, 1000\) needs 1000000 data bytes, found 67108852")
    assert bytes_read() <= 14  # the magic, read twice, and the header


def test_a_bomb_is_refused_from_its_first_bytes(tmp_path, bytes_read):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(_header(60_000, 28, 28)) + _zeros_gzip(60_000 * 28 * 28))  # 47 MB in 46 KB
    _refused(path, r"at most 500 times smaller")
    assert bytes_read() < path.stat().st_size // 4


def test_a_gzip_stream_is_read_to_its_header_s_length_and_no_further(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(_header(10, 2, 2) + np.random.default_rng(0).integers(0, 255, 200_000, np.uint8).tobytes()))
    _refused(path, r"idx file has trailing bytes: shape \(10, 2, 2\) needs 40 data bytes, found more")
    path.write_bytes(gzip.compress(_header(10, 20, 20) + bytes(3_999)))
    _refused(path, r"idx file truncated: shape \(10, 20, 20\) needs 4000 data bytes, found 3999")


def test_raising_the_data_limit_lets_a_file_through(tmp_path, monkeypatch):
    array = np.arange(3_000, dtype=np.uint8).reshape(3, 1_000)
    path = write_idx_file(tmp_path / "x-idx2-ubyte.gz", array)
    monkeypatch.setenv(ENV_VAR, "data_bytes=2000")
    _refused(path, r"expected at most 2,000 bytes one data file decompresses to. Received: 3,012 bytes")
    monkeypatch.setenv(ENV_VAR, "data_bytes=4000")
    out = read_idx(path)
    np.testing.assert_array_equal(out, array)
    assert not out.flags.writeable


# -- CIFAR-10 archives and folders ---------------------------------------------------------------------------------------

def _tar_gz(path: Path, members: dict[str, bytes]) -> Path:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    path.write_bytes(gzip.compress(buffer.getvalue()))
    return path


def test_a_cifar_archive_of_compressed_zeros_is_refused_from_its_headers(tmp_path):
    path = _tar_gz(tmp_path / "cifar-10-python.tar.gz", {"padding": bytes(12_000_000), "data_batch_1": b"x"})
    start = time.perf_counter()
    with pytest.raises(DataError, match=r"cifar-10-batches-py/padding: expected a compressed file at most 500 times smaller"):
        read_cifar10(path)
    assert time.perf_counter() - start < 1


def test_cifar_members_are_bounded_by_the_data_limit(tmp_path, monkeypatch):
    archive = write_cifar10_archive(tmp_path, 1, 1)
    monkeypatch.setenv(ENV_VAR, "data_bytes=1000")
    with pytest.raises(DataError, match=r"data_batch_1: expected at most 1,000 bytes one data file decompresses to") as info:
        read_cifar10(archive)
    assert "\n" not in str(info.value)
    folder = write_cifar10_batches(tmp_path / "f", 1, 1)
    with pytest.raises(DataError, match=r"data_batch_1: expected at most 1,000 bytes"):
        read_cifar10(folder)
    monkeypatch.setenv(ENV_VAR, "data_bytes=1000000")
    (x_train, _), _, _ = read_cifar10(archive)
    assert x_train.shape == (10, 32, 32, 3)


# -- Food-101 JPEGs ----------------------------------------------------------------------------------------------------------

def _jpeg_claiming(path: Path, width: int, height: int) -> Path:
    """A small JPEG whose frame header claims width x height pixels (a decompression bomb's header)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(buffer, "JPEG")
    data = bytearray(buffer.getvalue())
    frame = data.index(b"\xff\xc0")
    data[frame + 5:frame + 9] = struct.pack(">HH", height, width)
    path.write_bytes(bytes(data))
    return path


def test_a_jpeg_bomb_is_a_data_error_even_with_pillow_s_bound_unset(tmp_path, monkeypatch):
    from PIL import Image

    from reportgen.data.food101 import decode_image

    path = _jpeg_claiming(tmp_path / "bomb.jpg", 60_000, 60_000)
    for pillow_bound in (None, Image.MAX_IMAGE_PIXELS):
        monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", pillow_bound)
        start = time.perf_counter()
        with pytest.raises(DataError, match=r"bomb\.jpg: cannot decode JPEG \(.*(60000x60000 pixels is more than "
                                            r"89,478,485|exceeds limit)") as info:
            decode_image(path, (64, 64))
        assert time.perf_counter() - start < 1
        assert "\n" not in str(info.value)


def test_the_decoded_food101_images_are_bounded_before_decoding(tmp_path, monkeypatch):
    from reportgen.data import food101

    monkeypatch.setenv("REPORTGEN_DECODED", str(tmp_path / "decoded"))
    folder = write_food101(tmp_path / "data", ("ramen", "waffles"), train_per_class=3, test_per_class=1)
    monkeypatch.setenv(ENV_VAR, "data_bytes=10000")
    monkeypatch.setattr(food101, "decode_image", lambda path, size: pytest.fail("decoded an image"))
    with pytest.raises(DataError, match=r"food-101: expected at most 10,000 bytes one data file decompresses to. "
                                        r"Received: 73,728 bytes for the 6 train images at 64x64") as info:
        load("food101", {"path": str(folder), "image_size": 64})
    assert info.value.hint and "image_size" in info.value.hint
