"""Scratch folders of verifications: named after their host and process, so that the next run removes the dead ones'."""

from __future__ import annotations

import os
import re
import shutil
import socket
from pathlib import Path

__all__ = ["PREFIX", "remove_stale", "scratch_prefix"]

PREFIX = ".verify-"  # in a verification's output folder, while it runs: the unpacked zip and what verify writes
_OURS = re.compile(r"\.verify-(?P<host>[A-Za-z0-9_.]+)-(?P<pid>\d+)-")


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9_.]", "_", socket.gethostname())[:64] or "host"


def scratch_prefix() -> str:
    """The prefix of this process's scratch folders (tempfile adds a random part)."""
    return f"{PREFIX}{_host()}-{os.getpid()}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def remove_stale(folder: Path) -> list[Path]:
    """Remove the scratch folders in `folder` left by verifications of this host that are no longer running (killed
    before they could clean up), and unnamed ones of older versions; a running verification's, or another host's, stay."""
    removed = []
    try:
        children = [p for p in Path(folder).iterdir() if p.name.startswith(PREFIX) and p.is_dir() and not p.is_symlink()]
    except OSError:
        return removed
    for path in children:
        match = _OURS.match(path.name)
        if match and (match["host"] != _host() or _alive(int(match["pid"]))):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed
