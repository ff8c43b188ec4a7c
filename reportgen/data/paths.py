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
