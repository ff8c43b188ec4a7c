"""Writers of tiny datasets in the real file formats (CIFAR-10 python tar, MNIST idx, mnist.npz, Food-101)."""

from __future__ import annotations

import gzip
import io
import pickle
import struct
import tarfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = [
    "CIFAR10_CLASSES",
    "pattern_images",
    "balanced_labels",
    "write_cifar10_batches",
    "write_cifar10_archive",
    "write_idx_file",
    "write_idx_dataset",
    "write_mnist_npz",
    "write_food101",
]

CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)  # fmt: skip
_IDX_TYPES = {
    np.dtype("u1"): 0x08,
    np.dtype("i1"): 0x09,
    np.dtype(">i2"): 0x0B,
    np.dtype(">i4"): 0x0C,
}


def balanced_labels(n: int, n_classes: int, rng: np.random.Generator) -> np.ndarray:
    """n labels cycling through the classes, shuffled."""
    return rng.permutation(np.arange(n) % n_classes).astype(np.int64)


def pattern_images(
    labels: np.ndarray,
    shape: Sequence[int],
    channels: int,
    n_classes: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """uint8 (N, H, W, C) images a tiny net can tell apart: class-dependent stripes and colour."""
    height, width = shape
    yy, xx = np.mgrid[0:height, 0:width]
    out = np.empty((len(labels), height, width, channels), dtype=np.uint8)
    for c in range(n_classes):
        period = 2 + c % 5
        stripes = (((yy if (c // 5) % 2 == 0 else xx) // period) % 2).astype(np.float64)
        gain = 0.35 + 0.65 * np.array([(c * 3 + k * 7) % 10 for k in range(channels)]) / 9.0
        template = (40 + 170 * stripes)[..., None] * gain  # (H, W, C)
        rows = np.flatnonzero(labels == c)
        noise = rng.normal(0.0, 12.0, size=(len(rows), height, width, channels))
        out[rows] = np.clip(template + noise, 0, 255).astype(np.uint8)
    return out


def _cifar_members(n_train_per_class: int, n_test_per_class: int, seed: int) -> dict[str, bytes]:
    rng = np.random.default_rng(seed)
    members: dict[str, bytes] = {}
    y_train = balanced_labels(10 * n_train_per_class, 10, rng)
    y_test = balanced_labels(10 * n_test_per_class, 10, rng)
    splits = np.array_split(np.arange(len(y_train)), 5)
    batches = [
        (f"data_batch_{i + 1}", y_train[idx], f"training batch {i + 1} of 5")
        for i, idx in enumerate(splits)
    ]
    batches.append(("test_batch", y_test, "testing batch 1 of 1"))
    for name, labels, batch_label in batches:
        images = pattern_images(labels, (32, 32), 3, 10, rng)  # (N, 32, 32, 3)
        data = np.ascontiguousarray(images.transpose(0, 3, 1, 2)).reshape(len(labels), 3072)
        batch = {
            b"batch_label": batch_label.encode(),
            b"labels": [int(v) for v in labels],
            b"data": data,
            b"filenames": [f"{name}_{i:05d}.png".encode() for i in range(len(labels))],
        }
        members[name] = pickle.dumps(batch, protocol=3)
    meta = {
        b"num_cases_per_batch": max(len(s) for s in splits),
        b"label_names": [n.encode() for n in CIFAR10_CLASSES],
        b"num_vis": 3072,
    }
    members["batches.meta"] = pickle.dumps(meta, protocol=3)
    members["readme.html"] = (
        b"<meta HTTP-EQUIV='REFRESH' content='0; url=http://www.cs.toronto.edu/~kriz/cifar.html'>\n"
    )
    return members


def write_cifar10_batches(
    folder: Path, n_train_per_class: int, n_test_per_class: int, seed: int = 0
) -> Path:
    """Write an extracted `cifar-10-batches-py/` folder inside `folder`; return that folder."""
    target = Path(folder) / "cifar-10-batches-py"
    target.mkdir(parents=True, exist_ok=True)
    for name, content in _cifar_members(n_train_per_class, n_test_per_class, seed).items():
        (target / name).write_bytes(content)
    return target


def write_cifar10_archive(
    path: Path,
    n_train_per_class: int,
    n_test_per_class: int,
    seed: int = 0,
    name: str = "cifar-10-python.tar.gz",
) -> Path:
    """Write a real-format, byte-reproducible CIFAR-10 python archive into folder `path`."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for member, content in _cifar_members(n_train_per_class, n_test_per_class, seed).items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{member}")
            info.size, info.mode, info.mtime = len(content), 0o644, 0
            tar.addfile(info, io.BytesIO(content))
    archive = Path(path) / name
    archive.parent.mkdir(parents=True, exist_ok=True)
    archive.write_bytes(gzip.compress(buffer.getvalue(), mtime=0))
    return archive


def write_idx_file(path: Path, array: np.ndarray) -> Path:
    """Write one idx file (gzipped when the name ends in .gz)."""
    array = np.asarray(array)
    dtype = array.dtype.newbyteorder(">") if array.dtype.itemsize > 1 else array.dtype
    header = struct.pack(">BBBB", 0, 0, _IDX_TYPES[np.dtype(dtype)], array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    content = header + array.astype(dtype).tobytes()
    path = Path(path)
    path.write_bytes(gzip.compress(content, mtime=0) if path.suffix == ".gz" else content)
    return path


def write_idx_dataset(
    folder: Path,
    n_train: int,
    n_test: int,
    shape: tuple[int, int] = (28, 28),
    n_classes: int = 10,
    seed: int = 0,
    gz: bool = True,
) -> Path:
    """Write the four MNIST-style idx files (uint8 images, labels 0..n_classes-1) into `folder`."""
    rng = np.random.default_rng(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ext = ".gz" if gz else ""
    for stem, n in (("train", n_train), ("t10k", n_test)):
        labels = balanced_labels(n, n_classes, rng)
        images = pattern_images(labels, shape, 1, n_classes, rng)[..., 0]
        write_idx_file(folder / f"{stem}-images-idx3-ubyte{ext}", images)
        write_idx_file(folder / f"{stem}-labels-idx1-ubyte{ext}", labels.astype(np.uint8))
    return folder


def write_mnist_npz(path: Path, n_train: int, n_test: int, seed: int = 0) -> Path:
    """Write a file shaped like Keras' mnist.npz (uint8 (N, 28, 28) images, uint8 labels)."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, n in (("train", n_train), ("test", n_test)):
        labels = balanced_labels(n, 10, rng)
        arrays[f"x_{split}"] = pattern_images(labels, (28, 28), 1, 10, rng)[..., 0]
        arrays[f"y_{split}"] = labels.astype(np.uint8)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)
    return path


def write_food101(
    root: Path,
    classes: Sequence[str],
    train_per_class: int,
    test_per_class: int,
    size: tuple[int, int] = (40, 52),
    seed: int = 0,
) -> Path:
    """Write the official Food-101 layout in `root/food-101/`; return that folder.

    images/<class>/<id>.jpg are class-dependent stripes and colour plus noise, (height, width) =
    `size`, every third one turned to portrait (width, height) as in the real set; meta/classes.txt
    lists `classes` in the given order; meta/train.txt and meta/test.txt list `class/id` lines by
    class, ids sorted as strings (so not numerically) like the official files.
    """
    from PIL import Image

    rng = np.random.default_rng(seed)
    folder = Path(root) / "food-101"
    (folder / "meta").mkdir(parents=True, exist_ok=True)
    per_class = train_per_class + test_per_class
    lines: dict[str, list[str]] = {"train": [], "test": []}
    for c, name in enumerate(classes):
        (folder / "images" / name).mkdir(parents=True, exist_ok=True)
        ids = [str(v) for v in rng.choice(np.arange(100, 4_000_000), size=per_class, replace=False)]
        labels = np.full(per_class, c)
        images = pattern_images(labels, size, 3, max(len(classes), 1), rng)
        for i, (image_id, image) in enumerate(zip(ids, images)):
            pixels = image if i % 3 else np.ascontiguousarray(image.transpose(1, 0, 2))
            Image.fromarray(pixels).save(folder / "images" / name / f"{image_id}.jpg", quality=92)
        lines["train"] += [f"{name}/{i}" for i in sorted(ids[:train_per_class])]
        lines["test"] += [f"{name}/{i}" for i in sorted(ids[train_per_class:])]
    (folder / "meta" / "classes.txt").write_text("".join(f"{n}\n" for n in classes), encoding="utf-8")
    for split, listed in lines.items():
        (folder / "meta" / f"{split}.txt").write_text("".join(f"{line}\n" for line in listed), encoding="utf-8")
    return folder


# One dense run on scikit-learn's bundled digits with a results table: the smallest whole build (a few seconds).
ONE_RUN = """\
title: "One"
datasets:
  flat: {source: digits, flatten: true}
training: {epochs: 1, batch_size: 64, seed: 3}
runs:
  dense:
    dataset: flat
    model: [{Dense: {units: 10, activation: softmax}}]
report:
  sections:
    - title: Results
      content:
        - table: {caption: Accuracies}
"""
