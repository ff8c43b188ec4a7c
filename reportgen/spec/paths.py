"""Resolve a user-written path inside allowed folders: no absolute path elsewhere, no '..' out, no symbolic link out."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

__all__ = ["DATA_PATH_VAR", "PathOutside", "data_roots", "inside", "resolve_inside"]

DATA_PATH_VAR = "REPORTGEN_DATA_PATH"


class PathOutside(ValueError):
    """A path that leaves its allowed folders (or is no path at all); the message says where it leads."""


def data_roots() -> list[Path]:
    """The folders on $REPORTGEN_DATA_PATH, read as reportgen.data.paths.search_path() reads them (spec may not import data)."""
    raw = os.environ.get(DATA_PATH_VAR, "")
    return [Path(entry).expanduser() for entry in raw.split(os.pathsep) if entry.strip()]


def _real(path: Path | str) -> Path:
    """Absolute, with every '..' and every symbolic link on the way resolved (the path need not exist)."""
    return Path(os.path.realpath(path))


def inside(path: Path | str, root: Path | str) -> bool:
    """Whether path, symbolic links followed, lies in root (or is root), root's own links followed too."""
    try:
        return _real(path).is_relative_to(_real(root))
    except (OSError, ValueError):
        return False


def _listed(roots: Sequence[Path]) -> str:
    return ", ".join(str(_real(root)) for root in roots)


def resolve_inside(raw: str, roots: Sequence[Path], *, expand_user: bool = False) -> Path:
    """The real path that `raw`, written in an untrusted file, names inside one of `roots`; else PathOutside.

    An absolute path must lie in one of the roots. A relative one is tried against each root in turn and must stay in
    the root it is read against: the first root where it exists decides (a link out, or a '..' out, is refused even
    when a later root would hold the name); where it exists under none, it is taken in the first root (so that a
    missing file or folder is reported by whoever opens it), provided it stays there. Links are followed to check,
    and the returned path has none left, so opening it reads what was checked.
    """
    if not roots:
        raise PathOutside("no folder allows it")
    if not isinstance(raw, str) or not raw.strip() or "\0" in raw:
        raise PathOutside("not a path")
    path = Path(raw).expanduser() if expand_user else Path(raw)
    try:
        if path.is_absolute():
            real = _real(path)
            if any(inside(real, root) for root in roots):
                return real
            raise PathOutside(f"resolves to {real}, outside {_listed(roots)}")
        for root in roots:
            real = _real(Path(root) / path)
            if real.exists():
                if inside(real, root):
                    return real
                raise PathOutside(f"resolves to {real}, outside {_real(root)}")
        real = _real(Path(roots[0]) / path)
        if inside(real, roots[0]):
            return real
        raise PathOutside(f"resolves to {real}, outside {_real(roots[0])}")
    except OSError as exc:  # a name too long, a loop of links, a folder that cannot be read
        raise PathOutside(f"cannot be resolved: {exc.strerror or exc}") from None
