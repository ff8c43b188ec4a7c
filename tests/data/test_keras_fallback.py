"""Datasets missing locally go to the Keras loader; without network they fail fast, in one line."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from datafiles import write_cifar10_archive, write_idx_dataset

from reportgen.data import keras_fallback, load, locate
from reportgen.data import paths as data_paths
from reportgen.errors import DataError


@pytest.mark.parametrize("source", ["cifar10", "mnist", "fashion_mnist"])
def test_locate_returns_no_files_when_keras_will_fetch(source, keras_home):
    found = locate(source, {})
    assert found.files == ()
    assert f"keras.datasets.{source}.load_data()" in found.origin
    assert str(keras_home / "datasets") in found.origin


def test_missing_cifar10_fails_fast_with_one_line(keras_home):
    start = time.monotonic()
    with pytest.raises(DataError) as info:
        load("cifar10", {})
    assert time.monotonic() - start < 5
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(
        "dataset 'cifar10' not found: looked for cifar-10-python.tar.gz or cifar-10-batches-py/ "
        f"in REPORTGEN_DATA_PATH (unset) and {keras_home / 'datasets'}, and the download failed ("
    )
    assert "Name or service not known" in message
    assert message.endswith("Hint: put the official archive in a folder on REPORTGEN_DATA_PATH.")


def test_missing_message_lists_every_place_searched(
    tmp_path, set_data_path, keras_home, monkeypatch
):
    system = tmp_path / "usr-share-fashion"
    monkeypatch.setitem(data_paths.SYSTEM_DIRS, "fashion_mnist", (system,))
    set_data_path(tmp_path / "a", tmp_path / "b")
    with pytest.raises(DataError) as info:
        load("fashion_mnist", {})
    message = str(info.value)
    assert (
        f"REPORTGEN_DATA_PATH ({tmp_path / 'a'}, {tmp_path / 'b'}), {system} "
        f"and {keras_home / 'datasets'}" in message
    )
    assert "apt-get install dataset-fashion-mnist" in message and "\n" not in message


def test_long_multiline_download_errors_are_flattened(monkeypatch):
    def fail(name):
        raise OSError("first line\nsecond line " + "x" * 500)

    monkeypatch.setattr(keras_fallback, "fetch", fail)
    with pytest.raises(DataError) as info:
        load("mnist", {})
    assert "\n" not in str(info.value) and "first line second line" in str(info.value)
    assert len(str(info.value)) < 800


def test_downloaded_files_are_read_from_the_keras_cache(keras_home, monkeypatch):
    calls = []

    def fake_keras(name):  # what Keras 3 leaves behind after a download
        calls.append(name)
        write_cifar10_archive(
            keras_home / "datasets", 1, 1, name="cifar-10-batches-py-target_archive"
        )
        return (np.zeros((10, 32, 32, 3), np.uint8), np.zeros((10, 1), np.uint8)), (
            np.zeros((10, 32, 32, 3), np.uint8),
            np.zeros((10, 1), np.uint8),
        )

    monkeypatch.setattr(keras_fallback, "fetch", fake_keras)
    ds = load("cifar10", {})
    archive = keras_home / "datasets" / "cifar-10-batches-py-target_archive"
    assert calls == ["cifar10"] and ds.files == (str(archive),)
    assert locate("cifar10", {}).files == ds.files  # next build: same, file-based fingerprint
    assert ds.x_train.any()  # read from the archive, not the placeholder arrays


def test_arrays_from_keras_are_used_when_no_file_is_cached(monkeypatch):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(6, 3, 32, 32), dtype=np.uint8)  # channels_first Keras config
    y = np.arange(6, dtype=np.uint8).reshape(6, 1)
    monkeypatch.setattr(keras_fallback, "fetch", lambda name: ((x, y), (x[:2], y[:2])))
    ds = load("cifar10", {})
    assert ds.files == () and ds.x_train.shape == (6, 32, 32, 3) and ds.x_train.dtype == np.uint8
    np.testing.assert_array_equal(ds.x_train, x.transpose(0, 2, 3, 1))
    assert ds.y_train.tolist() == list(range(6)) and ds.y_train.dtype == np.int64


def test_mnist_arrays_from_keras_get_a_channel_axis(monkeypatch):
    x = np.ones((4, 28, 28), np.uint8)
    y = np.array([0, 1, 2, 3], np.uint8)
    monkeypatch.setattr(keras_fallback, "fetch", lambda name: ((x, y), (x, y)))
    ds = load("mnist", {})
    assert ds.x_train.shape == (4, 28, 28, 1) and ds.files == ()


def test_without_keras_locate_fails_at_once(monkeypatch):
    monkeypatch.setattr(keras_fallback, "keras_available", lambda: False)
    with pytest.raises(
        DataError, match=r"not found: .* and Keras is not installed to download it\. Hint: "
    ):
        locate("mnist", {})


def test_local_files_never_call_keras(tmp_path, set_data_path, monkeypatch):
    def forbidden(name):
        raise AssertionError("Keras loader called")

    monkeypatch.setattr(keras_fallback, "fetch", forbidden)
    write_idx_dataset(tmp_path / "mnist", 10, 10)
    set_data_path(tmp_path)
    assert load("mnist", {}).files[0] == str(
        Path(tmp_path / "mnist" / "train-images-idx3-ubyte.gz")
    )
