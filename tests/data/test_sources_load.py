"""Each dataset source loads from tiny real-format files, found in the documented order."""

from __future__ import annotations

import pickle
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest
from datafiles import (
    CIFAR10_CLASSES,
    write_cifar10_archive,
    write_cifar10_batches,
    write_idx_dataset,
    write_mnist_npz,
)

from reportgen.data import SOURCES, Dataset, load, locate, search_path
from reportgen.data import paths as data_paths
from reportgen.data.keras_sources import FASHION_MNIST_CLASSES
from reportgen.errors import DataError

DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")


def assert_well_formed(
    ds: Dataset, n_train: int, n_test: int, image_shape: tuple[int, ...]
) -> None:
    assert ds.x_train.shape == (n_train, *image_shape)
    assert ds.x_test.shape == (n_test, *image_shape)
    assert ds.x_train.dtype == ds.x_test.dtype == np.uint8
    assert ds.y_train.shape == (n_train,) and ds.y_test.shape == (n_test,)
    assert ds.y_train.dtype == ds.y_test.dtype == np.int64
    assert ds.y_train.max() < len(ds.class_names)
    for array in (ds.x_train, ds.y_train, ds.x_test, ds.y_test):
        assert not array.flags.writeable


def test_registry_names():
    assert SOURCES.names() == ["cifar10", "digits", "fashion_mnist", "food101", "idx", "mnist", "notmnist"]


def test_search_path_ignores_empty_entries(monkeypatch, tmp_path):
    monkeypatch.setenv("REPORTGEN_DATA_PATH", f"::{tmp_path}/a::{tmp_path}/b:")
    assert search_path() == [tmp_path / "a", tmp_path / "b"]
    monkeypatch.delenv("REPORTGEN_DATA_PATH")
    assert search_path() == []


def test_cifar10_from_archive_on_search_path(tmp_path, set_data_path):
    archive = write_cifar10_archive(tmp_path, n_train_per_class=3, n_test_per_class=2)
    set_data_path(tmp_path)
    ds = load("cifar10", {})
    assert_well_formed(ds, 30, 20, (32, 32, 3))
    assert ds.class_names == CIFAR10_CLASSES and ds.max_value == 255
    assert ds.files == (str(archive),) and ds.origin == str(archive)
    assert locate("cifar10", {}).files == ds.files
    with tarfile.open(archive) as tar:  # trusted test file: compare with a plain unpickle
        raw = pickle.loads(
            tar.extractfile("cifar-10-batches-py/test_batch").read(), encoding="bytes"
        )
    expected = raw[b"data"].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(ds.x_test, expected)
    np.testing.assert_array_equal(ds.y_test, raw[b"labels"])


def test_cifar10_folder_equals_archive(tmp_path, set_data_path):
    write_cifar10_archive(tmp_path / "a", 2, 1, seed=3)
    folder = write_cifar10_batches(tmp_path / "b", 2, 1, seed=3)
    set_data_path(tmp_path / "a")
    from_archive = load("cifar10", {})
    set_data_path(tmp_path / "b")
    from_folder = load("cifar10", {})
    assert from_folder.origin == str(folder)
    assert [Path(f).name for f in from_folder.files] == [
        *(f"data_batch_{i}" for i in range(1, 6)),
        "test_batch",
        "batches.meta",
    ]
    for name in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(from_folder, name), getattr(from_archive, name))


def test_search_path_order_first_folder_wins(tmp_path, set_data_path, keras_home):
    first = write_cifar10_archive(tmp_path / "first", 1, 1, seed=1)
    write_cifar10_archive(tmp_path / "second", 1, 1, seed=2)
    write_cifar10_archive(keras_home / "datasets", 1, 1, seed=3)
    set_data_path(tmp_path / "missing", tmp_path / "first", tmp_path / "second")
    assert locate("cifar10", {}).files == (str(first),)


def test_archive_preferred_to_folder_in_one_directory(tmp_path, set_data_path):
    archive = write_cifar10_archive(tmp_path, 1, 1)
    write_cifar10_batches(tmp_path, 1, 1)
    set_data_path(tmp_path)
    assert locate("cifar10", {}).files == (str(archive),)


@pytest.mark.parametrize(
    "layout", ["keras3_archive", "keras3_folder", "keras2_folder", "official_name"]
)
def test_cifar10_from_keras_cache(layout, keras_home):
    cache = keras_home / "datasets"
    if layout == "keras3_archive":
        expected = write_cifar10_archive(cache, 1, 1, name="cifar-10-batches-py-target_archive")
    elif layout == "keras3_folder":
        expected = write_cifar10_batches(cache / "cifar-10-batches-py-target", 1, 1)
    elif layout == "keras2_folder":
        expected = write_cifar10_batches(cache, 1, 1)
    else:
        expected = write_cifar10_archive(cache, 1, 1)
    ds = load("cifar10", {"classes": [f"c{i}" for i in range(10)]})
    assert ds.origin == str(expected)
    assert ds.class_names[0] == "c0"
    assert_well_formed(ds, 10, 10, (32, 32, 3))


@pytest.mark.parametrize("gz", [True, False])
def test_mnist_from_search_path_folder(tmp_path, set_data_path, gz):
    write_idx_dataset(tmp_path / "mnist", 20, 10, gz=gz)
    set_data_path(tmp_path)
    ds = load("mnist", {})
    assert_well_formed(ds, 20, 10, (28, 28, 1))
    assert ds.class_names == tuple("0123456789")
    assert [Path(f).name for f in ds.files][0] == (
        "train-images-idx3-ubyte" + (".gz" if gz else "")
    )


def test_mnist_from_keras_cache_npz(keras_home):
    npz = write_mnist_npz(keras_home / "datasets" / "mnist.npz", 20, 10)
    found = locate("mnist", {})
    assert found.files == (str(npz),)
    ds = load("mnist", {})
    assert_well_formed(ds, 20, 10, (28, 28, 1))


@pytest.mark.parametrize("folder", ["fashion_mnist", "fashion-mnist"])
def test_fashion_mnist_from_search_path(tmp_path, set_data_path, folder):
    write_idx_dataset(tmp_path / folder, 10, 10)
    set_data_path(tmp_path)
    ds = load("fashion_mnist", {})
    assert ds.class_names == FASHION_MNIST_CLASSES
    assert_well_formed(ds, 10, 10, (28, 28, 1))


def test_fashion_mnist_system_dir_before_keras_cache(tmp_path, keras_home, monkeypatch):
    system = write_idx_dataset(tmp_path / "usr-share", 10, 10, gz=False)
    write_idx_dataset(keras_home / "datasets" / "fashion-mnist", 10, 10)
    monkeypatch.setitem(data_paths.SYSTEM_DIRS, "fashion_mnist", (system,))
    assert locate("fashion_mnist", {}).origin == str(system)
    monkeypatch.setitem(data_paths.SYSTEM_DIRS, "fashion_mnist", ())
    assert locate("fashion_mnist", {}).origin == str(keras_home / "datasets" / "fashion-mnist")


@pytest.mark.skipif(not DEBIAN_FASHION.is_dir(), reason="dataset-fashion-mnist is not installed")
def test_fashion_mnist_real_debian_package(monkeypatch):
    monkeypatch.setitem(data_paths.SYSTEM_DIRS, "fashion_mnist", (DEBIAN_FASHION,))
    ds = load("fashion_mnist", {})
    assert_well_formed(ds, 60000, 10000, (28, 28, 1))
    assert np.bincount(ds.y_test).tolist() == [1000] * 10


def test_idx_any_folder_with_default_and_renamed_classes(tmp_path):
    folder = write_idx_dataset(tmp_path / "letters", 12, 6, shape=(10, 12), n_classes=3)
    ds = load("idx", {"path": str(folder)})
    assert_well_formed(ds, 12, 6, (10, 12, 1))
    assert ds.class_names == ("0", "1", "2") and ds.source == "idx"
    assert ds.files == locate("idx", {"path": str(folder)}).files
    assert load("idx", {"path": folder, "classes": ["a", "b", "c"]}).class_names == ("a", "b", "c")
    with pytest.raises(
        DataError, match=r"classes: expected 3 names for dataset 'idx'\. Received 2"
    ):
        load("idx", {"path": folder, "classes": ["a", "b"]})


def test_idx_relative_path_found_on_search_path(tmp_path, set_data_path, monkeypatch):
    write_idx_dataset(tmp_path / "data" / "tiny", 10, 10)
    monkeypatch.chdir(tmp_path)
    set_data_path(tmp_path / "data")
    assert locate("idx", {"path": "tiny"}).origin == str(tmp_path / "data" / "tiny")


def test_idx_missing_folder_and_files(tmp_path):
    with pytest.raises(DataError, match=r"folder '.*nope' not found"):
        locate("idx", {"path": str(tmp_path / "nope")})
    (tmp_path / "half").mkdir()
    write_idx_dataset(tmp_path / "half", 10, 10)
    (tmp_path / "half" / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match=r"lacks t10k-labels-idx1-ubyte\.gz"):
        locate("idx", {"path": str(tmp_path / "half")})


def test_digits_split_is_stratified_and_deterministic():
    ds = load("digits", {})
    assert_well_formed(ds, 1348, 449, (8, 8, 1))
    assert ds.max_value == 16 and int(ds.x_train.max()) == 16
    assert ds.files and ds.files[0].endswith("digits.csv.gz")
    assert ds.class_names == tuple("0123456789")
    all_counts = np.bincount(np.concatenate([ds.y_train, ds.y_test]))
    assert np.all(np.abs(np.bincount(ds.y_test) - 0.25 * all_counts) <= 1)
    again = load("digits", {})
    np.testing.assert_array_equal(again.y_train, ds.y_train)
    assert locate("digits", {}).files == ds.files  # fingerprinted from the file, memoised


def test_unknown_source_uses_registry_message():
    with pytest.raises(DataError) as info:
        locate("cifar", {})
    assert str(info.value) == (
        "unknown dataset source 'cifar'; known: cifar10, digits, fashion_mnist, food101, idx, mnist, notmnist. "
        "Did you mean 'cifar10'?"
    )


def test_bad_options_name_the_allowed_keys():
    with pytest.raises(
        DataError,
        match=r"dataset source 'idx': missing required option 'path' \(allowed: path, classes\)",
    ):
        locate("idx", {})
    with pytest.raises(
        DataError, match=r"unknown option 'pth' \(allowed: path, classes\)\. Did you mean 'path'\?"
    ):
        locate("idx", {"pth": "x", "path": "y"})
    with pytest.raises(
        DataError, match=r"dataset source 'mnist': unknown option 'path' \(allowed: classes\)"
    ):
        locate("mnist", {"path": "/x"})
    with pytest.raises(DataError, match=r"classes: expected a non-empty list"):
        locate("digits", {"classes": "0123456789"})
    with pytest.raises(DataError, match=r"names must be unique"):
        locate("digits", {"classes": ["a", "a"]})


def test_importing_the_package_imports_no_keras_tensorflow_or_sklearn():
    code = (
        "import sys, reportgen.data; "
        "print([m for m in ('keras', 'tensorflow', 'sklearn') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
