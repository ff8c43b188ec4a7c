"""Fingerprints are stable, content-sensitive, and an unchanged rebuild hashes no file."""

from __future__ import annotations

import dataclasses
import json
import os

import numpy as np
import pytest
from datafiles import write_idx_dataset

from reportgen.data import array_fingerprint, file_fingerprint, load
from reportgen.data import fingerprint as fp_module
from reportgen.errors import DataError


@pytest.fixture
def files(tmp_path):
    folder = write_idx_dataset(tmp_path / "d", 10, 10)
    return sorted(str(p) for p in folder.iterdir())


def test_stable_and_sensitive_to_content_order_and_names(tmp_path, files):
    first = file_fingerprint(files, None)
    assert first == file_fingerprint(files, None) and len(first) == 64
    assert file_fingerprint(list(reversed(files)), None) != first
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    for f in files:
        (moved / os.path.basename(f)).write_bytes(open(f, "rb").read())
    assert (
        file_fingerprint(sorted(str(p) for p in moved.iterdir()), None) == first
    )  # a move keeps it
    renamed = moved / "renamed.gz"
    os.rename(moved / os.path.basename(files[0]), renamed)
    assert file_fingerprint([str(renamed)] + files[1:], None) != first
    with open(files[-1], "ab") as fh:
        fh.write(b"x")
    assert file_fingerprint(files, None) != first


def test_memo_means_an_unchanged_rebuild_reads_no_file(tmp_path, files, monkeypatch):
    memo = tmp_path / "cache" / "fingerprints.json"
    first = file_fingerprint(files, memo)
    entries = json.loads(memo.read_text())["files"]
    assert sorted(entries) == sorted(os.path.abspath(f) for f in files)

    def no_reading(path):
        raise AssertionError(f"{path} was hashed again")

    monkeypatch.setattr(fp_module, "_sha256_file", no_reading)
    assert file_fingerprint(files, memo) == first
    monkeypatch.undo()

    hashed = []
    real = fp_module._sha256_file
    monkeypatch.setattr(fp_module, "_sha256_file", lambda p: hashed.append(p) or real(p))
    st = os.stat(files[0])
    os.utime(
        files[0], ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000)
    )  # touched: hash that one again
    assert file_fingerprint(files, memo) == first
    assert hashed == [os.path.abspath(files[0])]


def test_corrupt_memo_is_ignored_and_rewritten(tmp_path, files):
    memo = tmp_path / "fingerprints.json"
    memo.write_text("{not json")
    expected = file_fingerprint(files, None)
    assert file_fingerprint(files, memo) == expected
    assert json.loads(memo.read_text())["version"] == 1


def test_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match=r"nope\.gz: cannot fingerprint dataset file"):
        file_fingerprint([str(tmp_path / "nope.gz")], None)


def test_array_fingerprint_stable_and_sensitive(tmp_path):
    folder = write_idx_dataset(tmp_path / "d", 10, 10)
    ds = load("idx", {"path": str(folder)})
    again = load("idx", {"path": str(folder)})
    assert array_fingerprint(ds) == array_fingerprint(again)
    write_idx_dataset(folder, 10, 10, seed=1)
    assert array_fingerprint(load("idx", {"path": str(folder)})) != array_fingerprint(ds)


def test_array_fingerprint_of_digits_is_reproducible():
    assert array_fingerprint(load("digits", {})) == array_fingerprint(load("digits", {}))


def test_array_fingerprint_sees_dtype_and_shape(tmp_path):
    ds = load("idx", {"path": str(write_idx_dataset(tmp_path / "d", 4, 4, shape=(4, 4)))})
    reshaped = dataclasses.replace(ds, x_train=ds.x_train.reshape(4, 2, 8, 1))
    assert array_fingerprint(reshaped) != array_fingerprint(ds)
    retyped = dataclasses.replace(ds, y_train=ds.y_train.astype(np.int32))
    assert array_fingerprint(retyped) != array_fingerprint(ds)
