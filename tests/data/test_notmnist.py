"""notMNIST as the PW12 sheet names it (the idx files of notMNIST-to-MNIST), and smaller copies on the data path that a
machine without a network uses in place of a full dataset, named in what the build reports."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from datafiles import write_idx_dataset

from reportgen.data import keras_fallback, load, locate, peek
from reportgen.data.keras_sources import NOTMNIST_CLASSES, NOTMNIST_URL
from reportgen.errors import DataError


def test_a_notmnist_folder_on_the_data_path(tmp_path: Path, set_data_path) -> None:
    folder = write_idx_dataset(tmp_path / "data" / "notmnist", 30, 10)
    set_data_path(tmp_path / "data")
    ds = load("notmnist")
    assert ds.class_names == NOTMNIST_CLASSES == tuple("ABCDEFGHIJ") and ds.origin == str(folder) and ds.subset is None
    assert (len(ds.x_train), len(ds.x_test), ds.image_shape) == (30, 10, (28, 28, 1))
    assert peek("notmnist").n_classes == 10


@pytest.mark.parametrize("source, copy", [("notmnist", "notmnist-10k"), ("mnist", "mnist-5k")])
def test_a_smaller_copy_is_used_when_no_full_one_is_found_and_says_so(tmp_path: Path, set_data_path, source: str, copy: str) -> None:
    write_idx_dataset(tmp_path / "data" / copy, 40, 20)
    set_data_path(tmp_path / "data")
    found = locate(source)
    assert found.subset == copy and found.origin.endswith(f"{copy} (a subset, not {'notMNIST-to-MNIST' if source == 'notmnist' else 'MNIST'}'s "
                                                          "60,000 / 10,000 images)")
    assert load(source).subset == copy
    write_idx_dataset(tmp_path / "full" / source, 50, 20)  # a full copy on the path wins, wherever it lies
    set_data_path(tmp_path / "data", tmp_path / "full")
    assert locate(source).subset is None


def test_without_a_copy_notmnist_is_downloaded_into_the_keras_cache(keras_home: Path, monkeypatch) -> None:
    asked = []

    def fetch_files(base: str, names: tuple[str, ...], subdir: str) -> list[str]:
        asked.append((base, names, subdir))
        folder = write_idx_dataset(keras_home / "datasets" / subdir, 20, 10)
        return [str(folder / name) for name in names]

    monkeypatch.setattr(keras_fallback, "fetch_files", fetch_files)
    found = locate("notmnist")
    assert found.files == () and NOTMNIST_URL in found.origin
    ds = load("notmnist")
    assert asked == [(NOTMNIST_URL, ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                                     "t10k-labels-idx1-ubyte.gz"), "notmnist")]
    assert len(ds.x_train) == 20 and ds.origin == str(keras_home / "datasets" / "notmnist")
    assert locate("notmnist").files  # the next build reads the cached files
    np.testing.assert_array_equal(load("notmnist").y_test, ds.y_test)
    assert len(asked) == 1


def test_offline_without_a_copy_is_one_line_saying_where_to_put_it(monkeypatch) -> None:
    def offline(*_args):
        raise OSError("[Errno -2] Name or service not known")

    monkeypatch.setattr(keras_fallback, "fetch_files", offline)
    with pytest.raises(DataError) as caught:
        load("notmnist")
    message = str(caught.value)
    assert message.startswith("dataset 'notmnist' not found: looked for notmnist/ with the four idx files") and "\n" not in message
    assert "the download failed (" in message and "github.com/davidflanagan/notMNIST-to-MNIST" in message
