"""Where datasets are looked for (REPORTGEN_DATA_PATH, system folders, the Keras cache) and decoded to."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "ENV_VAR",
    "SYSTEM_DIRS",
    "search_path",
    "keras_datasets_dir",
    "decoded_dir",
    "describe_search_path",
    "first_existing",
    "first_outside",
]

ENV_VAR = "REPORTGEN_DATA_PATH"

# Folders that distribution packages install datasets into, per source name
# (tests change it with monkeypatch.setitem, so the dict object itself must stay).
SYSTEM_DIRS: dict[str, tuple[Path, ...]] = {
    "fashion_mnist": (Path("/usr/share/datasets/fashion-mnist"),),
}


def search_path() -> list[Path]:
    """The folders listed in $REPORTGEN_DATA_PATH (colon-separated; empty entries ignored)."""
    raw = os.environ.get(ENV_VAR, "")
    return [Path(entry).expanduser() for entry in raw.split(os.pathsep) if entry.strip()]


def keras_datasets_dir() -> Path:
    """The folder Keras caches downloads in: $KERAS_HOME/datasets or ~/.keras/datasets."""
    home = os.environ.get("KERAS_HOME") or os.path.join("~", ".keras")
    return Path(home).expanduser() / "datasets"


def decoded_dir() -> Path:
    """Where decoded images are cached: $REPORTGEN_DECODED, else $REPORTGEN_CACHE/decoded, else build/cache/decoded."""
    if os.environ.get("REPORTGEN_DECODED"):
        return Path(os.environ["REPORTGEN_DECODED"]).expanduser()
    if os.environ.get("REPORTGEN_CACHE"):
        return Path(os.environ["REPORTGEN_CACHE"]).expanduser() / "decoded"
    return Path("build") / "cache" / "decoded"


def describe_search_path() -> str:
    """'REPORTGEN_DATA_PATH (unset)' or 'REPORTGEN_DATA_PATH (/a, /b)' for error messages."""
    dirs = search_path()
    listed = ", ".join(str(d) for d in dirs) if dirs else "unset"
    return f"{ENV_VAR} ({listed})"


def first_existing(candidates: Iterable[Path]) -> Path | None:
    """The first candidate path that exists, or None."""
    for candidate in candidates:
        if candidate.exists():
            return candidate
    return None


def _within(real: str, root: str) -> bool:
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def first_outside(files: Iterable[str], folder: str) -> tuple[str, str] | None:
    """(file, where it resolves) of the first file that does not lie in `folder` once '..' and symbolic links (the file's
    own or a folder's on the way) are resolved; None when all do. Each folder is resolved once, so 100,000 listed images
    cost one lstat each."""
    root = os.path.realpath(folder)
    parents: dict[str, str] = {}
    for file in files:
        parent, name = os.path.split(file)
        if parent not in parents:
            parents[parent] = os.path.realpath(parent)
        real = os.path.realpath(file) if name in ("", ".", "..") or os.path.islink(file) else os.path.join(parents[parent], name)
        if not _within(real, root):
            return file, real
    return None
