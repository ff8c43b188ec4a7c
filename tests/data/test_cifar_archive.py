"""CIFAR-10 batches are read with a restricted unpickler; anything but arrays is refused."""

from __future__ import annotations

import gzip
import io
import os
import pickle
import tarfile
from pathlib import Path

import numpy as np
import pytest
from datafiles import write_cifar10_archive, write_cifar10_batches

from reportgen.data import load
from reportgen.data.cifarfile import read_cifar10, unpickle
from reportgen.errors import DataError


class Exploit:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _tar(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return path


def _members_of(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        return {Path(m.name).name: tar.extractfile(m).read() for m in tar if m.isfile()}


def test_malicious_pickle_in_archive_is_refused(tmp_path, set_data_path):
    marker = tmp_path / "pwned"
    members = _members_of(write_cifar10_archive(tmp_path / "good", 1, 1))
    members["data_batch_3"] = pickle.dumps({b"data": Exploit(marker), b"labels": []})
    _tar(tmp_path / "cifar-10-python.tar.gz", members)
    set_data_path(tmp_path)
    with pytest.raises(
        DataError, match=r"data_batch_3: refusing to unpickle global '(posix|os)\.system'"
    ) as info:
        load("cifar10", {})
    assert not marker.exists()
    assert "\n" not in str(info.value)


def test_malicious_pickle_in_folder_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    folder = write_cifar10_batches(tmp_path, 1, 1)
    (folder / "batches.meta").write_bytes(pickle.dumps(Exploit(marker)))
    with pytest.raises(DataError, match=r"batches\.meta: refusing to unpickle"):
        read_cifar10(folder)
    assert not marker.exists()


def test_builtins_like_eval_are_refused():
    payload = pickle.dumps(eval)  # even a bare reference to a dangerous builtin
    with pytest.raises(DataError, match=r"refusing to unpickle global 'builtins\.eval'"):
        unpickle(payload, "x")


@pytest.mark.parametrize("protocol", [3, 4, 5])
def test_array_pickles_of_every_protocol_are_accepted(protocol):
    batch = {b"data": np.arange(6, dtype=np.uint8).reshape(2, 3), b"labels": [0, 1]}
    out = unpickle(pickle.dumps(batch, protocol=protocol), "x")
    np.testing.assert_array_equal(out[b"data"], batch[b"data"])


def test_numpy1_module_names_are_accepted():
    # The official files were pickled by numpy 1 as numpy.core.multiarray._reconstruct.
    payload = pickle.dumps({b"data": np.zeros((1, 3), np.uint8)}, protocol=3)
    payload = payload.replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
    assert b"numpy.core.multiarray\n_reconstruct" in payload
    assert unpickle(payload, "x")[b"data"].shape == (1, 3)


def test_truncated_archive_names_the_file(tmp_path):
    archive = write_cifar10_archive(tmp_path, 1, 1)
    archive.write_bytes(archive.read_bytes()[:2000])
    with pytest.raises(DataError, match=rf"^{archive}: cannot read CIFAR-10 archive"):
        read_cifar10(archive)


def test_not_gzip_at_all(tmp_path):
    archive = tmp_path / "cifar-10-python.tar.gz"
    archive.write_bytes(b"<html>404 not found</html>")
    with pytest.raises(DataError, match=r"cannot read CIFAR-10 archive"):
        read_cifar10(archive)


def test_missing_batches_are_listed(tmp_path):
    members = _members_of(write_cifar10_archive(tmp_path / "good", 1, 1))
    del members["data_batch_3"], members["test_batch"]
    archive = _tar(tmp_path / "cut.tar.gz", members)
    with pytest.raises(DataError, match=r"missing data_batch_3, test_batch$"):
        read_cifar10(archive)


def test_wrong_data_shape(tmp_path):
    members = _members_of(write_cifar10_archive(tmp_path / "good", 1, 1))
    members["test_batch"] = pickle.dumps(
        {b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]}, protocol=3
    )
    with pytest.raises(DataError, match=r"test_batch: expected b'data' uint8 of shape \(N, 3072\)"):
        read_cifar10(_tar(tmp_path / "bad.tar.gz", members))


def test_archive_writer_is_byte_reproducible(tmp_path):
    a = write_cifar10_archive(tmp_path / "a", 2, 1, seed=5).read_bytes()
    b = write_cifar10_archive(tmp_path / "b", 2, 1, seed=5).read_bytes()
    assert a == b and gzip.decompress(a)[:19] == b"cifar-10-batches-py"
