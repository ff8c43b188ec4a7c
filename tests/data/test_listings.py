"""Every file a folder source reads lies in its folder: a listing line with '..', or an image or idx file that is a
symbolic link out, is refused before anything is read (locate, load, and a whole `report`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from datafiles import write_food101, write_idx_dataset
from PIL import Image

from reportgen.cli import main
from reportgen.data import load, locate
from reportgen.errors import DataError

CLASSES = ("waffles", "ramen")


@pytest.fixture(autouse=True)
def decoded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REPORTGEN_DECODED", str(tmp_path / "decoded"))
    return tmp_path / "decoded"


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A JPEG of the grader's, outside every dataset folder."""
    path = tmp_path / "private" / "photo.jpg"
    path.parent.mkdir()
    Image.new("RGB", (40, 40), (200, 10, 10)).save(path)
    return path


@pytest.fixture
def food(tmp_path: Path) -> Path:
    return write_food101(tmp_path / "student", CLASSES, train_per_class=3, test_per_class=2)


def _add_line(food: Path, split: str, line: str) -> None:
    with open(food / "meta" / f"{split}.txt", "a", encoding="utf-8") as listing:
        listing.write(line + "\n")


def test_a_listing_line_with_dot_dot_is_refused_with_its_line(food: Path, secret: Path) -> None:
    _add_line(food, "train", "waffles/../../../../private/photo")
    with pytest.raises(DataError, match=r"meta/train\.txt:7: expected 'class/image_id' \(names inside images/, no '\.\.'\)"):
        locate("food101", {"path": str(food)})


def test_an_image_that_links_out_of_the_folder_is_refused(food: Path, secret: Path, decoded: Path) -> None:
    victim = next((food / "images" / "ramen").glob("*.jpg"))
    victim.unlink()
    victim.symlink_to(secret)
    for read in (locate, load):
        with pytest.raises(DataError, match="outside the dataset's folder") as caught:
            read("food101", {"path": str(food), "image_size": 16})
        assert str(victim) in str(caught.value) and str(secret) in str(caught.value)
    assert not decoded.exists()  # nothing was decoded


def test_a_folder_of_images_that_links_out_is_refused(food: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "ramen"
    outside.parent.mkdir()
    os.replace(food / "images" / "ramen", outside)
    (food / "images" / "ramen").symlink_to(outside)
    with pytest.raises(DataError, match="outside the dataset's folder"):
        locate("food101", {"path": str(food)})


def test_links_inside_the_folder_are_fine(food: Path) -> None:
    images = sorted((food / "images" / "ramen").glob("*.jpg"))
    images[0].unlink()
    images[0].symlink_to(images[1])  # a duplicate inside the folder reads nothing else
    assert locate("food101", {"path": str(food)}).folder == str(food)


def test_an_idx_file_that_links_out_is_refused(tmp_path: Path) -> None:
    folder = write_idx_dataset(tmp_path / "mine", 20, 10)
    target = write_idx_dataset(tmp_path / "theirs", 20, 10) / "t10k-labels-idx1-ubyte.gz"
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    (folder / "t10k-labels-idx1-ubyte.gz").symlink_to(target)
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte\.gz resolves to .*/theirs/t10k-labels-idx1-ubyte\.gz, outside"):
        locate("idx", {"path": str(folder)})


def test_the_keras_sources_folders_too(tmp_path: Path, set_data_path) -> None:
    folder = write_idx_dataset(tmp_path / "data" / "mnist", 20, 10)
    target = write_idx_dataset(tmp_path / "theirs", 20, 10) / "train-images-idx3-ubyte.gz"
    (folder / "train-images-idx3-ubyte.gz").unlink()
    (folder / "train-images-idx3-ubyte.gz").symlink_to(target)
    set_data_path(tmp_path / "data")
    with pytest.raises(DataError, match="outside the dataset's folder"):
        locate("mnist")


EXPERIMENT = """\
title: "Food, from a student"
datasets:
  food: {source: food101, path: food-101, image_size: 16}
training: {epochs: 1, batch_size: 4}
runs:
  cnn:
    dataset: food
    model: [Flatten, {Dense: {units: 2, activation: softmax}}]
report:
  sections:
    - title: Results
      content:
        - table: {caption: Accuracies}
"""


@pytest.mark.parametrize("trick", ["dot-dot", "symlink"])
def test_report_refuses_it_before_anything_trains(trick: str, food: Path, secret: Path, tmp_path: Path, capsys) -> None:
    """End to end, as a grader runs a student's folder: one located line, exit 2, nothing trained or decoded."""
    (food.parent / "food.yaml").write_text(EXPERIMENT)
    if trick == "dot-dot":
        _add_line(food, "test", "ramen/../../../../private/photo")  # exists: the grader's photo
    else:
        victim = next((food / "images" / "waffles").glob("*.jpg"))
        victim.unlink()
        victim.symlink_to(secret)
    code = main(["report", str(food.parent / "food.yaml"), "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "cache")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and err.count("\n") == 1, err
    assert ("no '..'" in err) if trick == "dot-dot" else ("outside the dataset's folder" in err and str(secret) in err)
    assert "training" not in err and not (tmp_path / "out" / "report.pdf").exists() and not (tmp_path / "decoded").exists()
