"""Dataset fingerprints for cache keys: file hashes (memoised by size and mtime) or array hashes."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from reportgen.data.dataset import Dataset
from reportgen.errors import DataError

__all__ = ["file_fingerprint", "array_fingerprint"]

_MEMO_VERSION = 1


def _sha256_file(path: str) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


_HEX64 = re.compile(r"[0-9a-f]{64}")
_MAX_MEMO = 16 << 20  # a memo of a few thousand files; a cache folder copied from elsewhere may hold anything


def _read_memo(memo_path: Path) -> dict[str, Any]:
    """The memo, or {} when it is missing, damaged, too large, or not a plain file (a link is never followed)."""
    try:
        fd = os.open(memo_path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))  # a FIFO: no wait
        with os.fdopen(fd, "rb") as fh:
            info = os.fstat(fh.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_MEMO:
                return {}
            data = json.loads(fh.read(_MAX_MEMO + 1))
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(data, dict) or data.get("version") != _MEMO_VERSION:
        return {}
    files = data.get("files")
    return files if isinstance(files, dict) else {}


def _write_memo(memo_path: Path, files: dict[str, Any]) -> None:
    """Write atomically (temp file + rename); failing to write only loses a speed-up."""
    try:
        memo_path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=memo_path.name, suffix=".tmp", dir=memo_path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"version": _MEMO_VERSION, "files": files}, fh, indent=1, sort_keys=True)
        os.replace(tmp, memo_path)
    except OSError:
        pass


def _file_digest(path: str, memo: dict[str, Any]) -> tuple[str, bool]:
    """(sha256 of the file's content, whether it had to be computed)."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise DataError(f"{path}: cannot fingerprint dataset file ({exc.strerror or exc})") from exc
    entry = memo.get(path)
    # Size and mtime can be put back (os.utime, an archive's extraction); the inode and ctime of this file cannot, so a
    # memo copied in with a cache folder, or an edited file with its old mtime, is hashed again.
    stamp = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "ino": st.st_ino, "ctime_ns": st.st_ctime_ns}
    if isinstance(entry, dict) and all(entry.get(k) == v for k, v in stamp.items()) and _HEX64.fullmatch(str(entry.get("sha256"))):
        return entry["sha256"], False
    digest = _sha256_file(path)
    memo[path] = {**stamp, "sha256": digest}
    return digest, True


def file_fingerprint(paths: Sequence[str | os.PathLike[str]], memo_path: Path | None = None) -> str:
    """sha256 hex over (basename, content sha256) of each file, in order.

    With `memo_path`, each file's content hash is kept in a small JSON file keyed by its
    absolute path and checked against its size and mtime_ns: an unchanged rebuild reads no
    file content. Moving a dataset keeps its fingerprint; renaming a file changes it.
    """
    memo = _read_memo(Path(memo_path)) if memo_path is not None else {}
    total = hashlib.sha256()
    changed = False
    for raw in paths:
        path = os.path.abspath(os.fspath(raw))
        digest, computed = _file_digest(path, memo)
        changed |= computed
        name = os.path.basename(path).encode("utf-8")
        total.update(len(name).to_bytes(4, "big") + name + bytes.fromhex(digest))
    if memo_path is not None and changed:
        _write_memo(Path(memo_path), memo)
    return total.hexdigest()


def array_fingerprint(ds: Dataset) -> str:
    """sha256 hex over the dtype, shape and bytes of x_train, y_train, x_test, y_test."""
    total = hashlib.sha256()
    for name in ("x_train", "y_train", "x_test", "y_test"):
        array = np.ascontiguousarray(getattr(ds, name))
        total.update(f"{name}:{array.dtype.str}:{array.shape};".encode("ascii"))
        total.update(array.reshape(-1).view(np.uint8))
    return total.hexdigest()
