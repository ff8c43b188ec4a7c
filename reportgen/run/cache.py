"""A content-addressed result cache: entries are written to a temporary folder and renamed into place."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Cache", "cache_key"]


def cache_key(payload: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of everything that decides a result."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Cache:
    """Entries live at ROOT/ab/abcdef.../ with result.json and arrays.npz (and the saved model)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._indexed = False  # entries copied in from elsewhere are indexed once per process, on a miss

    def entry(self, key: str) -> Path:
        return self.root / key[:2] / key

    def has(self, key: str) -> bool:
        return (self.entry(key) / "result.json").is_file()

    def read(self, key: str) -> dict[str, Any]:
        return json.loads((self.entry(key) / "result.json").read_text(encoding="utf-8"))

    def arrays(self, key: str) -> dict[str, np.ndarray]:
        with np.load(self.entry(key) / "arrays.npz") as data:
            return {name: data[name] for name in data.files}

    def probe_file(self, key: str, name: str) -> Path:
        return self.entry(key) / "probes" / f"{name}.npz"

    def has_probe(self, key: str, name: str, arrays: list[str]) -> bool:
        """Whether the entry holds the probe with (at least) these arrays."""
        file = self.probe_file(key, name)
        if not file.is_file():
            return False
        with np.load(file) as data:
            return set(arrays) <= set(data.files)

    def read_probe(self, key: str, name: str) -> dict[str, np.ndarray]:
        with np.load(self.probe_file(key, name)) as data:
            return {array: data[array] for array in data.files}

    def write_probe(self, key: str, name: str, arrays: dict[str, np.ndarray]) -> Path:
        """Add a probe to an existing entry: written beside it, then renamed into place."""
        final = self.probe_file(key, name)
        final.parent.mkdir(exist_ok=True)
        tmp = final.with_name(f".tmp-{os.getpid()}-{final.name}")
        try:
            np.savez_compressed(tmp, **arrays)
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
        return final

    def same_run(self, spec_key: str) -> str | None:
        """The newest entry of the same run and data trained in another environment (another backend or
        version, another machine): results travel between machines with the cache folder, or entry by entry."""
        found = self._indexed_entries(spec_key)
        if not found and not self._indexed:
            self.index_entries()
            found = self._indexed_entries(spec_key)
        return max(found, key=lambda p: p.stat().st_mtime_ns).name if found else None

    def _indexed_entries(self, spec_key: str) -> list[Path]:
        folder = self.root / "by-run" / spec_key
        return [p for p in folder.iterdir() if self.has(p.name)] if folder.is_dir() else []

    def index_entries(self) -> int:
        """Index entries copied in without their by-run marker (e.g. ROOT/ab/abc... from a GPU machine); returns how many."""
        self._indexed = True
        indexed = {marker.name for marker in self.root.glob("by-run/*/*")}
        added = 0
        for result in self.root.glob("??/*/result.json"):
            if result.parent.name in indexed:
                continue  # only entries without a marker are read
            try:
                spec_key = json.loads(result.read_text(encoding="utf-8")).get("run_key")
            except (OSError, ValueError):
                continue  # a damaged entry is not this lookup's business
            if spec_key:
                (self.root / "by-run" / spec_key).mkdir(parents=True, exist_ok=True)
                (self.root / "by-run" / spec_key / result.parent.name).touch()
                added += 1
        return added

    def write(self, key: str, result: dict[str, Any], arrays: dict[str, np.ndarray], extra: dict[str, Path] | None = None,
              spec_key: str | None = None) -> Path:
        """Write a whole entry, or nothing: a killed process leaves at most a stray temp folder."""
        final = self.entry(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{os.getpid()}-{key[:12]}-", dir=self.root))
        if spec_key:  # the entry carries its run key, so it can be indexed wherever it is copied
            result = {**result, "run_key": spec_key}
        try:
            np.savez_compressed(tmp / "arrays.npz", **arrays)
            for name, source in (extra or {}).items():
                shutil.copyfile(source, tmp / name)
            (tmp / "result.json").write_text(json.dumps(result, indent=1, sort_keys=True), encoding="utf-8")
            if final.exists():  # a concurrent or forced run: replace the old entry
                shutil.rmtree(final)
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        if spec_key:  # an index by run and data alone, for same_run()
            (self.root / "by-run" / spec_key).mkdir(parents=True, exist_ok=True)
            (self.root / "by-run" / spec_key / key).touch()
        return final

    def clean_temporaries(self) -> int:
        """Remove temp folders left by killed runs (their writer's pid is gone); returns how many."""
        if not self.root.is_dir():
            return 0
        stray = [p for p in self.root.glob(".tmp-*") if p.is_dir() and not _alive(p.name.split("-")[1])]
        for path in stray:
            shutil.rmtree(path, ignore_errors=True)
        return len(stray)


def _alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return int(pid) != os.getpid()
