"""A content-addressed result cache: entries are written whole, sealed with this machine's key, and verified on read."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import RunError
from .seal import TrustedKey, file_digest, local_signer, read_nofollow, seal_message, trusted_keys

__all__ = ["Cache", "Verdict", "cache_key"]

SEAL = "seal.json"
_KEY = re.compile(r"[0-9a-f]{64}")
_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}  # a full disk, a quota, a file size limit (ulimit -f)
_MAX_JSON = 64 << 20  # a result record is kilobytes; a bigger one is not ours


def cache_key(payload: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of everything that decides a result."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Verdict:
    """Whether an entry may be used: sealed by a trusted key over exactly its files, or why not."""

    trusted: bool
    reason: str = ""
    signer: TrustedKey | None = None

    @property
    def origin(self) -> str:
        """For the report: who vouches for the entry."""
        if self.signer is None:
            return "not trusted"
        return "sealed on this machine" if self.signer.local else f"imported, sealed by {self.signer.name} (key {self.signer.id})"


class Cache:
    """Entries live at ROOT/ab/abcdef.../ with result.json, arrays.npz (and the saved model), sealed by seal.json.

    Nothing in an entry is used before its seal is verified: signed by this machine's key or a key in
    $REPORTGEN_TRUST, over the SHA-256 of every file, with no symlink anywhere in it."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._indexed = False  # entries copied in from elsewhere are indexed once per process, on a miss
        self._verdicts: dict[str, Verdict] = {}
        self._keys: list[TrustedKey] | None = None

    def entry(self, key: str) -> Path:
        return self.root / key[:2] / key

    def has(self, key: str) -> bool:
        """Whether an entry is present (trusted or not)."""
        return _KEY.fullmatch(key) is not None and os.path.lexists(self.entry(key) / "result.json")

    def trusted(self, key: str) -> bool:
        return self.verify(key).trusted

    def verify(self, key: str) -> Verdict:
        """Check an entry's seal and files once per process: the first read of an entry hashes it whole."""
        if key not in self._verdicts:
            self._verdicts[key] = self._verify(key)
        return self._verdicts[key]

    def _verify(self, key: str) -> Verdict:
        if not self.has(key):
            return Verdict(False, "no entry")
        folder = self.entry(key)
        try:
            files = _regular_files(folder, self.root)
            seal = json.loads(read_nofollow(folder / SEAL, 1 << 20))
            sealed, signature = seal["files"], bytes.fromhex(seal["signature"])
            if not isinstance(sealed, dict) or seal.get("entry") != key:
                return Verdict(False, "its seal is for another entry")
        except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
            return Verdict(False, f"unsealed or damaged ({_short(exc)})")
        message = seal_message(key, sealed)
        signer = next((k for k in self._trusted_keys() if k.verifies(signature, message)), None)
        if signer is None:
            return Verdict(False, f"sealed by a key this machine does not trust ({str(seal.get('signer', '?'))[:16]})")
        unsealed = sorted(set(files) - set(sealed) - {SEAL})
        if unsealed and not all(name.startswith("probes/") for name in unsealed):
            return Verdict(False, f"it holds a file its seal does not list ({unsealed[0]})")
        for name, digest in sealed.items():
            if name not in files:
                return Verdict(False, f"{name} is missing")
            if file_digest(folder / name) != digest:
                return Verdict(False, f"{name} does not match its seal")
        return Verdict(True, signer=signer)

    def _trusted_keys(self) -> list[TrustedKey]:
        if self._keys is None:
            self._keys = trusted_keys()
        return self._keys

    def _require(self, key: str) -> Path:
        verdict = self.verify(key)
        if not verdict.trusted:
            raise RunError(f"cache entry {key[:12]} in {self.root} is not used: {verdict.reason}")
        return self.entry(key)

    def read(self, key: str) -> dict[str, Any]:
        record = json.loads(read_nofollow(self._require(key) / "result.json", _MAX_JSON))
        if not isinstance(record, dict):
            raise RunError(f"cache entry {key[:12]}: result.json is not a record")
        return record

    def arrays(self, key: str) -> dict[str, np.ndarray]:
        with np.load(self._require(key) / "arrays.npz", allow_pickle=False) as data:
            return {name: data[name] for name in data.files}

    def model_file(self, key: str) -> Path:
        """The saved model of a verified entry."""
        return self._require(key) / "model.keras"

    def probe_file(self, key: str, name: str) -> Path:
        return self.entry(key) / "probes" / f"{name}.npz"

    def has_probe(self, key: str, name: str, arrays: list[str]) -> bool:
        """Whether the entry holds the probe with (at least) these arrays, sealed by a trusted key."""
        if not self.trusted(key) or not self._probe_sealed(key, name):
            return False
        with np.load(self.probe_file(key, name), allow_pickle=False) as data:
            return set(arrays) <= set(data.files)

    def _probe_sealed(self, key: str, name: str) -> bool:
        file = self.probe_file(key, name)
        try:
            seal = json.loads(read_nofollow(file.with_suffix(".seal"), 1 << 16))
            message = seal_message(key, {f"probes/{file.name}": file_digest(file)})
            signature = bytes.fromhex(seal["signature"])
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            return False
        return any(k.verifies(signature, message) for k in self._trusted_keys())

    def read_probe(self, key: str, name: str) -> dict[str, np.ndarray]:
        if not self._probe_sealed(key, name):
            raise RunError(f"cache entry {key[:12]}: probe {name} is not sealed by a trusted key")
        with np.load(self.probe_file(key, name), allow_pickle=False) as data:
            return {array: data[array] for array in data.files}

    def write_probe(self, key: str, name: str, arrays: dict[str, np.ndarray]) -> Path:
        """Add a probe to a verified entry, sealed on its own: written beside it, then renamed into place."""
        final = self.probe_file(key, name)
        folder = self._require(key) / "probes"
        _no_link(folder)
        folder.mkdir(exist_ok=True)
        tmp = final.with_name(f".tmp-{os.getpid()}-{final.name}")
        try:
            np.savez_compressed(tmp, **arrays)
            signature = local_signer().sign(seal_message(key, {f"probes/{final.name}": file_digest(tmp)}))
            _no_link(final.with_suffix(".seal"))
            final.with_suffix(".seal").write_text(json.dumps({"signature": signature.hex()}), encoding="utf-8")
            _no_link(final)
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
        return final

    def same_run(self, spec_key: str) -> str | None:
        """The newest trusted entry of the same run and data trained in another environment (another backend or
        version, another machine): results travel between machines with the cache folder, or entry by entry."""
        found = self._indexed_entries(spec_key)
        if not found and not self._indexed:
            self.index_entries()
            found = self._indexed_entries(spec_key)
        return max(found, key=lambda p: p.lstat().st_mtime_ns).name if found else None

    def _indexed_entries(self, spec_key: str) -> list[Path]:
        folder = self.root / "by-run" / spec_key
        if not _KEY.fullmatch(spec_key) or not folder.is_dir() or folder.is_symlink():
            return []
        return [p for p in folder.iterdir() if _KEY.fullmatch(p.name) and self.trusted(p.name) and self._runs(p.name, spec_key)]

    def _runs(self, key: str, spec_key: str) -> bool:
        """Whether a trusted entry holds this run (markers are not sealed: a marker naming another run's entry is ignored)."""
        try:
            return self.read(key).get("run_key") == spec_key
        except (RunError, ValueError, RecursionError):
            return False

    def index_entries(self) -> int:
        """Index entries copied in without their by-run marker (e.g. ROOT/ab/abc... from a GPU machine); returns how many."""
        self._indexed = True
        indexed = {marker.name for marker in self.root.glob("by-run/*/*")}
        added = 0
        for result in self.root.glob("??/*/result.json"):
            key = result.parent.name
            if key in indexed or not _KEY.fullmatch(key) or result.parent.parent.name != key[:2]:
                continue  # only entries without a marker are read
            try:
                spec_key = json.loads(read_nofollow(result, _MAX_JSON)).get("run_key")
            except (OSError, ValueError, AttributeError, RecursionError):
                continue  # a damaged entry is not this lookup's business
            if isinstance(spec_key, str) and _KEY.fullmatch(spec_key):
                self._mark(spec_key, key)
                added += 1
        return added

    def _mark(self, spec_key: str, key: str) -> None:
        folder = self.root / "by-run" / spec_key
        for path in (self.root / "by-run", folder):
            _no_link(path)
        folder.mkdir(parents=True, exist_ok=True)
        _no_link(folder / key)
        (folder / key).touch()

    def write(self, key: str, result: dict[str, Any], arrays: dict[str, np.ndarray], extra: dict[str, Path] | None = None,
              spec_key: str | None = None) -> Path:
        """Write a whole entry, sealed, or nothing: a killed process leaves at most a stray temp folder."""
        if not _KEY.fullmatch(key):
            raise ValueError(f"not a cache key: {key!r}")
        final = self.entry(key)
        _no_link(self.root / key[:2])
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{os.getpid()}-{key[:12]}-", dir=self.root))
        if spec_key:  # the entry carries its run key, so it can be indexed wherever it is copied
            result = {**result, "run_key": spec_key}
        try:
            np.savez_compressed(tmp / "arrays.npz", **arrays)
            for name, source in (extra or {}).items():
                shutil.copyfile(source, tmp / name)
            (tmp / "result.json").write_text(json.dumps(result, indent=1, sort_keys=True), encoding="utf-8")
            signer = local_signer()
            files = {path.name: file_digest(path) for path in sorted(tmp.iterdir())}
            seal = {"entry": key, "files": files, "signer": signer.public.id,
                    "signature": signer.sign(seal_message(key, files)).hex()}
            (tmp / SEAL).write_text(json.dumps(seal, indent=1, sort_keys=True), encoding="utf-8")
            if os.path.islink(final):
                final.unlink()
            elif final.exists():  # a concurrent, forced or untrusted run: replace the old entry
                shutil.rmtree(final)
            os.replace(tmp, final)
        except BaseException as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            if isinstance(exc, OSError) and exc.errno in _FULL:
                raise RunError(f"cannot write cache entry {key[:12]} in {self.root}: {exc.strerror} (nothing was half-written; "
                               "free space there or point --cache elsewhere)") from exc
            raise
        self._verdicts.pop(key, None)
        if spec_key:  # an index by run and data alone, for same_run()
            self._mark(spec_key, key)
        return final

    def adopt(self, key: str, folder: Path, spec_key: str | None = None) -> Verdict:
        """Move a whole entry written elsewhere (a Ray worker's, staged in a temp folder under ROOT as .../ab/KEY) into
        place once its seal verifies with a key trusted here; otherwise move nothing and say why."""
        if not _KEY.fullmatch(key) or folder.name != key:
            raise ValueError(f"not a staged entry of {key!r}: {folder}")
        verdict = Cache(folder.parent.parent).verify(key)
        if not verdict.trusted:
            return verdict
        final = self.entry(key)
        _no_link(self.root / key[:2])
        final.parent.mkdir(parents=True, exist_ok=True)
        if os.path.islink(final):
            final.unlink()
        elif final.exists():  # a forced or untrusted run: replace the old entry
            shutil.rmtree(final)
        os.replace(folder, final)
        self._verdicts.pop(key, None)
        if spec_key:
            self._mark(spec_key, key)
        return verdict

    def clean_temporaries(self) -> int:
        """Remove temp folders left by killed runs (their writer's pid is gone); returns how many."""
        if not self.root.is_dir():
            return 0
        stray = [p for p in self.root.glob(".tmp-*") if p.is_dir() and not p.is_symlink() and not _alive(p.name.split("-")[1])]
        for path in stray:
            shutil.rmtree(path, ignore_errors=True)
        return len(stray)


def _no_link(path: Path) -> None:
    """A symlink where the cache writes is removed, never followed (an imported folder may hold one)."""
    if os.path.islink(path):
        path.unlink()


def _regular_files(folder: Path, root: Path) -> dict[str, Path]:
    """{relative name: path} of every file in an entry; OSError on a symlink anywhere, the entry's own path included."""
    for path in (folder.parent, folder):
        if os.path.islink(path):
            raise OSError(f"{path.relative_to(root)} is a symlink")
    found: dict[str, Path] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                raise OSError(f"{path.relative_to(folder)} is a symlink")
            if stat.S_ISREG(mode):
                found[str(path.relative_to(folder))] = path
            elif not stat.S_ISDIR(mode):
                raise OSError(f"{path.relative_to(folder)} is not a regular file")
    return found


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return int(pid) != os.getpid()
