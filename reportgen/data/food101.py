"""The Food-101 archive layout (`food101`): the official split of the first N classes, decoded once to uint8 .npy."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from reportgen.data.dataset import Dataset, DataShape, DataSource, make_dataset
from reportgen.data.fingerprint import file_fingerprint
from reportgen.data.paths import decoded_dir, describe_search_path, keras_datasets_dir, search_path
from reportgen.data.sources import SOURCES, Source
from reportgen.errors import DataError
from reportgen.limits import exceeded, limit

__all__ = ["FOLDER_NAME", "DEFAULT_IMAGE_SIZE", "MAX_IMAGE_SIZE", "decode_image"]

FOLDER_NAME = "food-101"  # what food-101.tar.gz extracts to
DEFAULT_IMAGE_SIZE = 128
MAX_IMAGE_SIZE = 1024  # the official images are at most 512 px a side; larger only upscales
_CACHE_VERSION = 1  # bump when the decoding below changes its output
_RESAMPLE = "bicubic"  # Pillow's resize antialiases when it shrinks; bicubic is sharp and faster than Lanczos
_MAX_WORKERS = 8
_MAX_PIXELS = 89_478_485  # Pillow's own default bound (Image.MAX_IMAGE_PIXELS), kept should something unset it
_HINT = (
    "download food-101.tar.gz from https://data.vision.ee.ethz.ch/cvl/datasets_extra/food-101/ and extract it "
    "into a folder on REPORTGEN_DATA_PATH (it unpacks to food-101/), or give that folder as `path`."
)


def _image_size(value: Any) -> tuple[int, int] | None:
    """(height, width) from an int or a [height, width] (or [size]) list; None when invalid."""
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    if len(items) == 1:
        items *= 2
    ok = len(items) == 2 and all(
        isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= MAX_IMAGE_SIZE for v in items
    )
    return (items[0], items[1]) if ok else None


def _check_image_size(value: Any) -> str | None:
    if _image_size(value) is None:
        return (
            f"image_size: expected a positive integer or [height, width] of at most {MAX_IMAGE_SIZE}. "
            f"Received: {value!r}"
        )
    return None


def _check_classes(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return f"classes: expected a positive integer (the first N classes of meta/classes.txt). Received: {value!r}"
    return None


def _is_layout(folder: Path) -> bool:
    return (folder / "meta" / "classes.txt").is_file()


def _find_folder(opts: Mapping[str, Any]) -> Path:
    """The food-101 folder: `path` (itself or its food-101/), else food-101/ on the search path or in the Keras cache."""
    raw = opts.get("path")
    if raw is None:
        for candidate in [d / FOLDER_NAME for d in search_path()] + [keras_datasets_dir() / FOLDER_NAME]:
            if _is_layout(candidate):
                return candidate.absolute()
        raise DataError(
            f"dataset 'food101' not found: looked for {FOLDER_NAME}/meta/classes.txt in "
            f"{describe_search_path()} and {keras_datasets_dir()}",
            hint=_HINT,
        )
    path = Path(str(raw)).expanduser()
    bases = [path] if path.is_absolute() else [Path.cwd() / path] + [d / path for d in search_path()]
    for base in bases:
        for candidate in (base, base / FOLDER_NAME):
            if _is_layout(candidate):
                return candidate.absolute()
    where = "" if path.is_absolute() else f" (looked in {Path.cwd()} and {describe_search_path()})"
    raise DataError(
        f"dataset source 'food101': no Food-101 folder at '{raw}': looked for meta/classes.txt in it "
        f"and in its {FOLDER_NAME}/ subfolder{where}",
        hint=_HINT,
    )


def _lines(path: Path) -> list[str]:
    try:
        return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    except FileNotFoundError as exc:
        raise DataError(f"{path.parents[1]}: lacks meta/{path.name} (the official split)", hint=_HINT) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read ({exc})") from exc


def _chosen_classes(folder: Path, opts: Mapping[str, Any]) -> tuple[str, ...]:
    """The first `classes` names of meta/classes.txt, in its order (all of them by default)."""
    listing = folder / "meta" / "classes.txt"
    names = [line for line in _lines(listing) if line]
    if not names:
        raise DataError(f"{listing}: lists no class")
    if len(set(names)) != len(names):
        raise DataError(f"{listing}: lists a class twice")
    n = opts.get("classes", len(names))
    if n > len(names):
        raise DataError(f"dataset source 'food101': classes: {n} is more than the {len(names)} classes in {listing}")
    return tuple(names[:n])


def _split(folder: Path, split: str, classes: Sequence[str]) -> tuple[tuple[Path, int], ...]:
    """(image, label) for each line of meta/<split>.txt whose class is chosen, in file order."""
    index = {name: i for i, name in enumerate(classes)}
    listing = folder / "meta" / f"{split}.txt"
    out = []
    for number, line in enumerate(_lines(listing), start=1):
        if not line:
            continue
        name, sep, image_id = line.partition("/")
        if not sep or not image_id or any(part in ("", ".", "..") or "\\" in part for part in (name, *image_id.split("/"))):
            raise DataError(f"{listing}:{number}: expected 'class/image_id' (names inside images/, no '..'). Received: {line!r}")
        if name in index:
            out.append((folder / "images" / name / f"{image_id}.jpg", index[name]))
    if not out:
        raise DataError(f"{listing}: lists no image of the chosen classes ({', '.join(classes)})")
    return tuple(out)


@dataclass(frozen=True)
class _Plan:
    """The chosen classes and their (image, label) lists, from the meta files alone."""

    folder: Path
    classes: tuple[str, ...]
    train: tuple[tuple[Path, int], ...]
    test: tuple[tuple[Path, int], ...]

    @property
    def files(self) -> tuple[str, ...]:
        meta = [self.folder / "meta" / f"{n}.txt" for n in ("classes", "train", "test")]
        return tuple(str(p) for p in [*meta, *(p for p, _ in self.train + self.test)])


def _plan(folder: Path, opts: Mapping[str, Any]) -> _Plan:
    classes = _chosen_classes(folder, opts)
    return _Plan(folder, classes, _split(folder, "train", classes), _split(folder, "test", classes))


def _locate(opts: Mapping[str, Any]) -> DataSource:
    plan = _plan(_find_folder(opts), opts)
    missing = [p for p, _ in plan.train + plan.test if not p.is_file()]
    if missing:
        raise DataError(
            f"{plan.folder}: {len(missing)} image(s) listed in meta/train.txt or meta/test.txt are missing, "
            f"such as {missing[0]}",
            hint=_HINT,
        )
    return DataSource("food101", plan.files, str(plan.folder), folder=str(plan.folder))


def _peek(opts: Mapping[str, Any]) -> DataShape:
    """The image shape from the options, the class count from meta/classes.txt; no image is read."""
    height, width = _image_size(opts.get("image_size", DEFAULT_IMAGE_SIZE))
    return DataShape((height, width, 3), len(_chosen_classes(_find_folder(opts), opts)))


def decode_image(path: Path, size: tuple[int, int]) -> np.ndarray:
    """One JPEG as uint8 (height, width, 3) RGB: centre-cropped to the target aspect, then resized (bicubic)."""
    from PIL import Image

    height, width = size
    try:
        with Image.open(path, formats=("JPEG",)) as img:
            most = min(Image.MAX_IMAGE_PIXELS or _MAX_PIXELS, _MAX_PIXELS)
            if img.width * img.height > most:  # read from the header, before anything is decoded
                raise Image.DecompressionBombError(f"{img.width}x{img.height} pixels is more than {most:,}")
            img.draft("RGB", (2 * width, 2 * height))  # let libjpeg shrink by 2-8x while staying >= 2x the target
            rgb = img.convert("RGB")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DataError(f"{path}: cannot decode JPEG ({exc})") from exc
    w, h = rgb.size
    if w * height > h * width:  # too wide: keep the middle columns
        crop = h * width / height
        box = ((w - crop) / 2, 0.0, (w + crop) / 2, float(h))
    else:
        crop = w * height / width
        box = (0.0, (h - crop) / 2, float(w), (h + crop) / 2)
    return np.asarray(rgb.resize((width, height), Image.Resampling.BICUBIC, box=box), dtype=np.uint8)


def _decode_into(target: Path, images: Sequence[Path], size: tuple[int, int]) -> None:
    """Decode `images` straight into a .npy memmap (threads: Pillow releases the GIL while decoding)."""
    from PIL import Image

    out = np.lib.format.open_memmap(target, mode="w+", dtype=np.uint8, shape=(len(images), *size, 3))

    def decode(i: int) -> None:
        out[i] = decode_image(images[i], size)

    with warnings.catch_warnings():  # the filters are global: they hold in the workers until all have stopped
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        pool = ThreadPoolExecutor(max_workers=min(_MAX_WORKERS, os.cpu_count() or 1))
        try:
            for _ in pool.map(decode, range(len(images))):
                pass
        finally:
            pool.shutdown(wait=True, cancel_futures=True)  # a bad image stops the rest
    out.flush()
    del out


def _entry(found: DataSource, plan: _Plan, size: tuple[int, int]) -> Path:
    """decoded_dir()/food101-<hash of the files' content fingerprint, the classes, the size and the decoder>."""
    import PIL

    root = decoded_dir()
    identity = {
        "version": _CACHE_VERSION,
        "files": file_fingerprint(found.files, root / "fingerprints.json"),
        "classes": len(plan.classes),
        "image_size": list(size),
        "resample": _RESAMPLE,
        "pillow": PIL.__version__,
    }
    key = hashlib.sha256(json.dumps(identity, sort_keys=True).encode("utf-8")).hexdigest()
    return root / f"food101-{key[:24]}"


def _check_decoded_size(plan: _Plan, size: tuple[int, int]) -> None:
    """Each decoded split is one .npy file: at most limit('data_bytes'), checked before anything is decoded."""
    for split, items in (("train", plan.train), ("test", plan.test)):
        total = len(items) * size[0] * size[1] * 3
        if total > limit("data_bytes"):
            received = f"{total:,} bytes for the {len(items):,} {split} images at {size[0]}x{size[1]}"
            raise DataError(f"{plan.folder}: {exceeded('data_bytes', received)}",
                            hint="choose fewer `classes` or a smaller `image_size`")


def _write_entry(plan: _Plan, size: tuple[int, int], entry: Path) -> None:
    """Decode into a temporary folder, then rename it into place: a killed run leaves no half entry."""
    _check_decoded_size(plan, size)
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{entry.name}-", suffix=".tmp", dir=entry.parent))
    except OSError as exc:
        raise DataError(f"cannot create the decoded-image cache in {entry.parent} ({exc})",
                        hint="set REPORTGEN_DECODED to a writable folder") from exc
    try:
        for split, items in (("train", plan.train), ("test", plan.test)):
            _decode_into(tmp / f"x_{split}.npy", [p for p, _ in items], size)
            np.save(tmp / f"y_{split}.npy", np.array([label for _, label in items], dtype=np.int64))
        manifest = {"folder": str(plan.folder), "classes": list(plan.classes), "image_size": list(size)}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        try:
            os.replace(tmp, entry)
        except OSError:
            if not (entry / "manifest.json").is_file():  # else another build wrote the same entry first
                raise
    except OSError as exc:
        raise DataError(f"cannot write the decoded-image cache {entry} ({exc})",
                        hint="free some disk space or set REPORTGEN_DECODED to another folder") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _read(found: DataSource, opts: Mapping[str, Any]) -> Dataset:
    """Images from the decoded cache as read-only memmaps, decoding them first when the entry is missing."""
    plan = _plan(Path(found.origin), opts)
    size = _image_size(opts.get("image_size", DEFAULT_IMAGE_SIZE))
    entry = _entry(found, plan, size)
    if not (entry / "manifest.json").is_file():
        _write_entry(plan, size, entry)
    try:
        x_train, x_test = (np.load(entry / f"x_{s}.npy", mmap_mode="r") for s in ("train", "test"))
        y_train, y_test = (np.load(entry / f"y_{s}.npy") for s in ("train", "test"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{entry}: damaged decoded-image cache ({exc})", hint=f"delete {entry}") from exc
    names = tuple(name.replace("_", " ") for name in plan.classes)  # 'apple_pie' -> 'apple pie'
    return make_dataset(
        "food101", (x_train, y_train), (x_test, y_test), names, origin=found.origin, files=found.files
    )


SOURCES.register("food101")(
    Source(
        locate=_locate,
        read=_read,
        option_keys=("path", "classes", "image_size"),
        peek=_peek,
        value_checks={"classes": _check_classes, "image_size": _check_image_size},
    )
)
