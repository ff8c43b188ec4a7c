"""Data helpers an exported notebook carries as its own code (numpy only): the course's file formats, seeded subsets."""

# This module is copied into every notebook as a code cell: it imports nothing of reportgen, and tests check each
# function against the one reportgen trains with.
import gzip
import pickle
import tarfile
from pathlib import Path

import numpy as np

IDX_NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
IDX_TYPES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """One idx file (MNIST's format, gzipped or not) as an array."""
    raw = Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    ndim = raw[3]
    dims = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, dtype=IDX_TYPES[raw[2]], offset=4 + 4 * ndim).reshape(dims)


def load_idx(folder):
    """((x_train, y_train), (x_test, y_test)) from a folder of the four idx files."""
    folder = Path(folder)
    paths = []
    for name in IDX_NAMES:
        stems = (name, name.replace("-idx", ".idx"))
        paths.append(next(folder / f"{s}{e}" for s in stems for e in (".gz", "") if (folder / f"{s}{e}").is_file()))
    x_train, y_train, x_test, y_test = (read_idx(p) for p in paths)
    return (x_train, y_train), (x_test, y_test)


def load_npz(path):
    """((x_train, y_train), (x_test, y_test)) from Keras' mnist.npz."""
    with np.load(path) as npz:
        return (npz["x_train"], npz["y_train"]), (npz["x_test"], npz["y_test"])


def load_cifar10(path):
    """((x_train, y_train), (x_test, y_test)) from the official cifar-10-python.tar.gz or its extracted folder."""
    path = Path(path)
    batches = {}
    if path.is_dir():
        for file in path.iterdir():
            batches[file.name] = file.read_bytes()
    else:
        with tarfile.open(path) as tar:
            for member in tar.getmembers():
                if member.isfile():
                    batches[Path(member.name).name] = tar.extractfile(member).read()

    def batch(name):
        data = pickle.loads(batches[name], encoding="bytes")
        return data[b"data"].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), np.array(data[b"labels"])

    train = [batch(f"data_batch_{i}") for i in range(1, 6)]
    x_train, y_train = np.concatenate([x for x, _ in train]), np.concatenate([y for _, y in train])
    return (x_train, y_train), batch("test_batch")


def decode_jpeg(path, height, width):
    """One JPEG as uint8 (height, width, 3) RGB: centre-cropped to the target's aspect, then resized (bicubic)."""
    from PIL import Image

    with Image.open(path, formats=("JPEG",)) as img:
        img.draft("RGB", (2 * width, 2 * height))  # libjpeg shrinks by 2-8x while staying at least twice the target
        rgb = img.convert("RGB")
    w, h = rgb.size
    if w * height > h * width:
        crop = h * width / height
        box = ((w - crop) / 2, 0.0, (w + crop) / 2, float(h))
    else:
        crop = w * height / width
        box = (0.0, (h - crop) / 2, float(w), (h + crop) / 2)
    return np.asarray(rgb.resize((width, height), Image.Resampling.BICUBIC, box=box), dtype=np.uint8)


def load_food101(folder, classes, size):
    """The official train/test split of Food-101's first `classes` classes (meta/*.txt), decoded at `size`."""
    folder = Path(folder)
    names = [line.strip() for line in (folder / "meta" / "classes.txt").read_text().splitlines() if line.strip()][:classes]
    index = {name: i for i, name in enumerate(names)}

    def split(name):
        items = [line.strip().split("/", 1) for line in (folder / "meta" / f"{name}.txt").read_text().splitlines()]
        items = [(folder / "images" / c / f"{i}.jpg", index[c]) for c, i in (item for item in items if len(item) == 2)
                 if c in index]
        x = np.stack([decode_jpeg(path, *size) for path, _ in items])
        return x, np.array([label for _, label in items], dtype=np.int64)

    return split("train"), split("test")


def as_images(x, y):
    """uint8 images (N, H, W, C), a channel axis added to grey ones, and int64 labels (N,)."""
    x, y = np.asarray(x, dtype=np.uint8), np.asarray(y).reshape(len(x), -1)[:, 0].astype(np.int64)
    return (x[..., np.newaxis] if x.ndim == 3 else x), y


def allocate(counts, n):
    """`n` split over classes in proportion to `counts` (largest remainder), at least one each when n allows."""
    counts = np.asarray(counts, dtype=np.int64)
    quota = counts * (n / counts.sum())
    alloc = np.floor(quota).astype(np.int64)
    if n >= len(counts):
        alloc = np.maximum(alloc, 1)
    missing = n - int(alloc.sum())
    if missing > 0:
        alloc[np.argsort(-(quota - alloc), kind="stable")[:missing]] += 1
    while missing < 0:
        alloc[int(np.argmin(np.where(alloc > 1, quota - alloc, np.inf)))] -= 1
        missing += 1
    return alloc


def stratified_subset(y, n, seed):
    """Sorted indices of a class-stratified subset of size min(n, len(y)), the same for the same seed."""
    y = np.asarray(y)
    if n >= len(y):
        return np.arange(len(y), dtype=np.int64)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    classes, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
    rng = np.random.default_rng(seed)
    chosen = [rng.choice(np.flatnonzero(inverse == c), size=int(k), replace=False)
              for c, k in enumerate(allocate(counts, n)) if k]
    return np.sort(np.concatenate(chosen)).astype(np.int64)


def load_digits_split(test_fraction=0.25, seed=0):
    """scikit-learn's 8x8 digits (values 0..16) with a stratified, seeded test quarter."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images, labels = digits.data.astype(np.uint8).reshape(-1, 8, 8, 1), digits.target.astype(np.int64)
    test = stratified_subset(labels, round(len(labels) * test_fraction), seed)
    train = np.setdiff1d(np.arange(len(labels)), test)
    return (images[train], labels[train]), (images[test], labels[test])


def prepare(data, subset=None, labels=None, pool=("train",), validation=None, seed=0):
    """What a run trains on: a stratified (train, test) subset (seed 0, the same for every run), a labelled budget of
    `labels` training images, the test images added to an autoencoder's pool, and a held-out validation fraction."""
    (x_train, y_train), (x_test, y_test) = data
    if subset is not None:
        keep_train, keep_test = stratified_subset(y_train, subset[0], 0), stratified_subset(y_test, subset[1], 0)
        x_train, y_train, x_test, y_test = x_train[keep_train], y_train[keep_train], x_test[keep_test], y_test[keep_test]
    if labels is not None:
        keep = stratified_subset(y_train, labels, seed)
        x_train, y_train = x_train[keep], y_train[keep]
    if "test" in pool:
        x_train, y_train = np.concatenate([x_train, x_test]), np.concatenate([y_train, y_test])
    x_val = y_val = None
    if isinstance(validation, float):
        fit, val = validation_split(y_train, validation, seed)
        x_train, y_train, x_val, y_val = x_train[fit], y_train[fit], x_train[val], y_train[val]
    return {"x_train": x_train, "y_train": y_train, "x_val": x_val, "y_val": y_val, "x_test": x_test, "y_test": y_test}


def validation_split(y, fraction, seed):
    """(fit, validation) indices: a class-stratified fraction of the training set held out, seeded."""
    n = len(y)
    held = min(max(1, int(round(fraction * n))), n - 1) if n > 1 else 0
    val = stratified_subset(y, held, seed)
    return np.setdiff1d(np.arange(n, dtype=np.int64), val, assume_unique=True), val


def add_noise(images, factor, max_value, seed, stream):
    """uint8 images + factor * max_value * N(0, 1), clipped and rounded back to uint8 (stream: 0 train, 1 test, 2 val)."""
    rng = np.random.default_rng([seed, stream])
    noisy = images.astype(np.float32) + np.float32(factor * max_value) * rng.standard_normal(images.shape, dtype=np.float32)
    return np.clip(np.rint(noisy), 0, max_value).astype(np.uint8)


def psnr(mse):
    """Peak signal-to-noise ratio in dB of images in [0, 1] from their mean squared errors."""
    return 10 * np.log10(1.0 / np.maximum(mse, 1e-10))


def as_dataset(loaded):
    """((x_train, y_train), (x_test, y_test)) as uint8 images with a channel axis and int64 labels."""
    (x_train, y_train), (x_test, y_test) = loaded
    return as_images(x_train, y_train), as_images(x_test, y_test)


def file_name(name, seed):
    """The file name of a run's weights: its name's safe characters, a digest of the name (no two runs share one), its seed."""
    import hashlib
    import re

    safe = re.sub(r"[^A-Za-z0-9_=-]+", "_", name)[:60]
    return f"{safe}-{hashlib.sha256(name.encode()).hexdigest()[:8]}-seed{seed}"


def find(name):
    """A data file or folder by name: in each folder of REPORTGEN_DATA_PATH, then in Keras' datasets folder."""
    import os

    folders = [Path(p).expanduser() for p in os.environ.get("REPORTGEN_DATA_PATH", "").split(os.pathsep) if p.strip()]
    folders.append(Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras").expanduser() / "datasets")
    for folder in folders:
        if (folder / name).exists():
            return folder / name
    raise FileNotFoundError(f"{name} is in none of {', '.join(map(str, folders))}: put it in a folder on REPORTGEN_DATA_PATH")
