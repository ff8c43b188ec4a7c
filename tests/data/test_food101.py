"""The food101 source: the official layout found and split, images decoded once into a uint8 cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from datafiles import write_food101
from PIL import Image

from reportgen.data import DataShape, file_fingerprint, load, locate, peek
from reportgen.data import food101, paths
from reportgen.errors import DataError

CLASSES = ("waffles", "apple_pie", "ramen", "beignets")  # not alphabetical: the file's order rules


@pytest.fixture(autouse=True)
def decoded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "decoded"
    monkeypatch.setenv("REPORTGEN_DECODED", str(folder))
    return folder


@pytest.fixture
def food(tmp_path: Path) -> Path:
    return write_food101(tmp_path / "data", CLASSES, train_per_class=4, test_per_class=2)


def meta(folder: Path, split: str) -> list[str]:
    return (folder / "meta" / f"{split}.txt").read_text().split()


def count_decodes(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    calls: list[Path] = []
    real = food101.decode_image

    def counting(path, size):
        calls.append(Path(path))
        return real(path, size)

    monkeypatch.setattr(food101, "decode_image", counting)
    return calls


def test_found_on_the_search_path(food, set_data_path, tmp_path):
    set_data_path(tmp_path / "elsewhere", food.parent)
    ds = load("food101", {"classes": 2, "image_size": 16})
    assert ds.origin == str(food) and ds.source == "food101"
    assert ds.class_names == ("waffles", "apple pie")  # underscores become spaces


@pytest.mark.parametrize("given", ["folder", "parent"])
def test_found_through_path(food, given):
    path = food if given == "folder" else food.parent
    assert locate("food101", {"path": str(path), "classes": 1}).origin == str(food)


def test_found_in_the_keras_cache(keras_home):
    folder = write_food101(keras_home / "datasets", CLASSES[:2], 1, 1)
    assert locate("food101", {}).origin == str(folder)


def test_first_classes_in_file_order_with_the_official_split(food):
    ds = load("food101", {"path": str(food), "classes": 3, "image_size": [24, 20]})
    assert ds.class_names == ("waffles", "apple pie", "ramen")
    chosen = {"waffles": 0, "apple_pie": 1, "ramen": 2}
    for split, y in (("train", ds.y_train), ("test", ds.y_test)):
        listed = [line for line in meta(food, split) if line.split("/")[0] in chosen]
        assert y.tolist() == [chosen[line.split("/")[0]] for line in listed]
    assert len(ds.y_train) == 12 and len(ds.y_test) == 6
    ids = [int(line.split("/")[1]) for line in meta(food, "train")]
    assert ids != sorted(ids)  # like the real files: sorted as text, not as numbers
    images = [Path(f) for f in ds.files[3:]]
    assert [f"{p.parent.name}/{p.stem}" for p in images] == [
        line for split in ("train", "test") for line in meta(food, split) if line.split("/")[0] in chosen
    ]


def test_images_are_read_only_uint8_memmaps_at_image_size(food):
    ds = load("food101", {"path": str(food), "image_size": [24, 20]})
    assert ds.x_train.shape == (16, 24, 20, 3) and ds.x_test.shape == (8, 24, 20, 3)
    assert ds.x_train.dtype == np.uint8 and ds.y_train.dtype == np.int64 and ds.max_value == 255
    assert ds.image_shape == (24, 20, 3) and ds.n_classes == 4
    for x in (ds.x_train, ds.x_test):
        assert not x.flags.writeable and isinstance(x.base, np.memmap)
    first = Path(ds.files[3])
    np.testing.assert_array_equal(ds.x_train[0], food101.decode_image(first, (24, 20)))
    means = [ds.x_train[ds.y_train == c].mean(axis=(0, 1, 2)) for c in range(4)]
    assert len({tuple(np.round(m / 8)) for m in means}) == 4  # the class colours survive decoding


def test_decode_crops_the_centre_and_converts_to_rgb(tmp_path):
    thirds = np.zeros((30, 90, 3), np.uint8)
    thirds[:, :30, 0] = thirds[:, 30:60, 1] = thirds[:, 60:, 2] = 255  # red | green | blue
    Image.fromarray(thirds).save(tmp_path / "wide.jpg", quality=95)
    out = food101.decode_image(tmp_path / "wide.jpg", (10, 10))
    assert out.shape == (10, 10, 3) and out.dtype == np.uint8
    assert out[..., 1].mean() > 200 and out[..., 0].mean() < 40 and out[..., 2].mean() < 40
    Image.fromarray(np.full((20, 12), 200, np.uint8)).save(tmp_path / "grey.jpg")
    grey = food101.decode_image(tmp_path / "grey.jpg", (8, 8))
    assert grey.shape == (8, 8, 3) and abs(int(grey.mean()) - 200) <= 2


def test_files_are_the_meta_files_and_the_chosen_images(food):
    files = locate("food101", {"path": str(food), "classes": 2}).files
    assert [Path(f).name for f in files[:3]] == ["classes.txt", "train.txt", "test.txt"]
    assert {Path(f).parent.name for f in files[3:]} == {"waffles", "apple_pie"}
    assert len(files) == 3 + 2 * 6
    before = file_fingerprint(files)
    other = next((food / "images" / "ramen").iterdir())
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(other)
    (food / "images" / "sushi").mkdir()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(food / "images" / "sushi" / "1.jpg")
    assert locate("food101", {"path": str(food), "classes": 2}).files == files
    assert file_fingerprint(files) == before


def test_second_load_reads_the_decoded_cache(food, monkeypatch, decoded):
    first = load("food101", {"path": str(food), "classes": 2, "image_size": 16})
    entries = [p.name for p in decoded.iterdir() if p.is_dir()]
    assert len(entries) == 1 and entries[0].startswith("food101-")
    assert sorted(p.name for p in (decoded / entries[0]).iterdir()) == [
        "manifest.json", "x_test.npy", "x_train.npy", "y_test.npy", "y_train.npy",
    ]

    def fail(path, size):
        raise AssertionError("decoded again")

    monkeypatch.setattr(food101, "decode_image", fail)
    again = load("food101", {"path": str(food), "classes": 2, "image_size": 16})
    np.testing.assert_array_equal(again.x_train, first.x_train)
    np.testing.assert_array_equal(again.y_test, first.y_test)


def test_decoded_cache_is_keyed_by_options_and_content(food, monkeypatch, decoded):
    load("food101", {"path": str(food), "classes": 2, "image_size": 16})
    calls = count_decodes(monkeypatch)
    load("food101", {"path": str(food), "classes": 2, "image_size": 12})
    assert len(calls) == 12
    load("food101", {"path": str(food), "classes": 3, "image_size": 12})
    assert len(calls) == 12 + 18
    load("food101", {"path": str(food), "classes": 2, "image_size": 16})
    assert len(calls) == 30
    chosen = next((food / "images" / "waffles").iterdir())
    Image.fromarray(np.zeros((30, 30, 3), np.uint8)).save(chosen)  # new content: decode again
    load("food101", {"path": str(food), "classes": 2, "image_size": 16})
    assert len(calls) == 42
    assert len([p for p in decoded.iterdir() if p.is_dir()]) == 4


def test_peek_reads_no_image(food, set_data_path, monkeypatch):
    set_data_path(food.parent)
    monkeypatch.setattr(food101, "decode_image", None)
    for image in (food / "images").rglob("*.jpg"):
        image.unlink()
    assert peek("food101", {}) == DataShape((128, 128, 3), 4)
    assert peek("food101", {"classes": 3, "image_size": [32, 48]}) == DataShape((32, 48, 3), 3)


def test_not_found_says_where_it_looked(keras_home):
    with pytest.raises(DataError) as err:
        locate("food101", {})
    message = str(err.value)
    assert "food-101/meta/classes.txt" in message and "REPORTGEN_DATA_PATH (unset)" in message
    assert str(keras_home / "datasets") in message and "food-101.tar.gz" in message
    assert "\n" not in message


def test_path_without_the_layout(tmp_path):
    with pytest.raises(DataError, match=r"no Food-101 folder at '.*nowhere'.*Hint: download food-101\.tar\.gz"):
        locate("food101", {"path": str(tmp_path / "nowhere")})


def test_more_classes_than_listed(food):
    with pytest.raises(DataError, match=r"classes: 5 is more than the 4 classes in .*meta/classes\.txt"):
        locate("food101", {"path": str(food), "classes": 5})
    with pytest.raises(DataError, match=r"classes: 5 is more than the 4 classes"):
        peek("food101", {"path": str(food), "classes": 5})


def test_missing_image_and_split_file(food):
    (food / "images" / f"{meta(food, 'test')[0]}.jpg").unlink()
    with pytest.raises(DataError, match=r"1 image\(s\) listed .* are missing, such as .*\.jpg"):
        locate("food101", {"path": str(food), "classes": 1})
    (food / "meta" / "test.txt").unlink()
    with pytest.raises(DataError, match=r"lacks meta/test\.txt"):
        locate("food101", {"path": str(food), "classes": 1})


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"classes": 0}, r"classes: expected a positive integer .*Received: 0"),
        ({"classes": ["a", "b"]}, r"classes: expected a positive integer .*Received: \['a', 'b'\]"),
        ({"classes": True}, r"classes: expected a positive integer"),
        ({"image_size": 0}, r"image_size: expected a positive integer or \[height, width\]"),
        ({"image_size": [8, 8, 3]}, r"image_size: expected .*Received: \[8, 8, 3\]"),
        ({"image_size": 4096}, r"image_size: expected .* at most 1024"),
        ({"size": 8}, r"unknown option 'size' \(allowed: path, classes, image_size\)"),
    ],
)
def test_bad_options(options, message):
    with pytest.raises(DataError, match=message):
        locate("food101", options)


def test_other_sources_keep_their_classes_check():
    with pytest.raises(DataError, match=r"classes: expected a non-empty list of class names. Received: 3"):
        locate("digits", {"classes": 3})


def test_corrupt_jpeg_is_named_and_leaves_no_cache(food, decoded):
    bad = food / "images" / f"{meta(food, 'train')[1]}.jpg"
    bad.write_bytes(bad.read_bytes()[:200])
    with pytest.raises(DataError, match=rf"{bad}: cannot decode JPEG"):
        load("food101", {"path": str(food), "classes": 1, "image_size": 8})
    assert [p.name for p in decoded.iterdir() if p.is_dir()] == []
    bad.write_bytes(b"not a jpeg at all")
    with pytest.raises(DataError, match=rf"{bad}: cannot decode JPEG"):
        load("food101", {"path": str(food), "classes": 1, "image_size": 8})


@pytest.mark.parametrize("limit", [1500, 500])  # 40x52 = 2080 pixels: Pillow's warning, then its error
def test_decompression_bomb_is_a_data_error(food, monkeypatch, limit):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", limit)
    with pytest.raises(DataError, match=r"cannot decode JPEG .*(pixels|decompression bomb)"):
        load("food101", {"path": str(food), "classes": 1, "image_size": 8})


def test_decoded_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("REPORTGEN_DECODED", str(tmp_path / "d"))
    monkeypatch.setenv("REPORTGEN_CACHE", str(tmp_path / "c"))
    assert paths.decoded_dir() == tmp_path / "d"
    monkeypatch.delenv("REPORTGEN_DECODED")
    assert paths.decoded_dir() == tmp_path / "c" / "decoded"
    monkeypatch.delenv("REPORTGEN_CACHE")
    assert paths.decoded_dir() == Path("build/cache/decoded")
