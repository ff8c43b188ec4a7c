"""Helpers for submission tests: a zip's members, variants of a submission with edited members, JSON edits."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Callable

from reportgen.submission.safezip import write_zip

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "experiments" / "demo.yaml"

Edit = Callable[[dict[str, bytes]], None]


def members_of(zip_path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(zip_path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def make_variant(tmp: Path, edit: Edit | None = None, *, source: Path, rehash: bool = False, name: str = "submission.zip") -> Path:
    """A variant of the submission `source` in `tmp`/name: `edit` changes its members ({name: bytes}, in place); with
    rehash, manifest.json's SHA-256 of every file is brought up to date (a forgery that keeps the manifest consistent).
    A rehashed variant whose experiment files `edit` changed, and not its plain-Keras notebook, leaves that notebook out
    (it was generated from the experiment as it was; a student who edits the experiment packs it again)."""
    members = members_of(source)
    before = dict(members)
    if edit is not None:
        edit(members)
    experiment = [n for n in members if n.startswith("experiments/") and members[n] != before.get(n)]
    plain = [n for n in members if n.endswith(".ipynb") and n != "reproduce.ipynb" or n.startswith("notebook/")]
    if rehash and experiment and all(members[n] == before.get(n) for n in plain):
        for member in plain:  # an edited experiment's student packs no plain notebook of the old one (submit --no-notebook)
            del members[member]
    if rehash:
        manifest = json.loads(members["manifest.json"])
        manifest["files"] = {n: hashlib.sha256(data).hexdigest() for n, data in sorted(members.items()) if n != "manifest.json"}
        members["manifest.json"] = (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode()
    tmp.mkdir(parents=True, exist_ok=True)
    return write_zip(members, tmp / name)


def edit_json(members: dict[str, bytes], name: str, change: Callable[[dict], None]) -> None:
    """Change a JSON member in place through `change(value)`."""
    value = json.loads(members[name])
    change(value)
    members[name] = json.dumps(value, indent=2).encode()
