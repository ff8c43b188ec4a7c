"""manifest.json of a submission: what it holds (SHA-256 of every file), what its numbers came from, and its check."""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..text import field

if TYPE_CHECKING:  # check_files runs before anything else of a verification: it imports no more than it needs
    from ..run import Cache
    from ..spec import ExperimentSpec

__all__ = ["EXPERIMENTS", "FORMAT", "MANIFEST", "check_files", "dumps", "experiment_files", "make_manifest", "sha256"]

FORMAT = "reportgen-submission/1"
MANIFEST = "manifest.json"
EXPERIMENTS = "experiments"  # the experiment file and the files it names keep their places under this folder of the zip


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def experiment_files(spec: ExperimentSpec, path: Path) -> dict[str, bytes]:
    """{zip name: bytes} of the experiment file and every file it names (Markdown answers, weights files), each at its
    place relative to the experiment's folder; datasets are not taken (the grader has them)."""
    from ..spec.catalog import APPLICATIONS
    from ..spec.paths import PathOutside, resolve_inside

    base = path.parent
    named = [block.options["source"] for section in spec.sections for block in section.blocks
             if block.kind == "text" and block.options.get("source")]
    named += [layer.args["weights"] for run in spec.runs.values() for layer in run.model.layers
              if layer.kind in APPLICATIONS and layer.args.get("weights") not in (None, "imagenet", "none")]
    files = {f"{EXPERIMENTS}/{path.name}": path.read_bytes()}
    root = base.resolve()
    for name in dict.fromkeys(named):
        try:
            file = resolve_inside(name, [base])
        except PathOutside:
            continue  # load_spec and the build refused it already
        if file.is_file():
            files[f"{EXPERIMENTS}/{file.relative_to(root).as_posix()}"] = file.read_bytes()
    return files


def _provenance(cache: Cache, key: str, seed: int | None) -> dict[str, Any]:
    """Where one cache entry was trained (backend, versions, devices) and who vouches for it."""
    out: dict[str, Any] = {"seed": seed, "cache_key": key}
    verdict = cache.verify(key)
    if not verdict.trusted:
        return {**out, "sealed": f"not usable here: {verdict.reason}"}
    record = cache.read(key)
    trained = record.get("manifest", {})
    out.update({k: trained.get(k) for k in ("backend", "backend_version", "keras", "devices", "cpu", "platform")})
    out.update(precision=record.get("run", {}).get("training", {}).get("precision", "float32"), sealed=verdict.origin,
               data=record.get("dataset", {}).get("fingerprint"))
    return out


def make_manifest(spec: ExperimentSpec, results: dict[str, Any], files: dict[str, bytes], cache: Cache) -> dict[str, Any]:
    """The manifest of a submission holding `files`, built from `results` (its results.json) and the cache entries."""
    runs: dict[str, Any] = {}
    data: dict[str, str] = {}
    for name, entry in results.get("runs", {}).items():
        run = spec.runs.get(name)
        if "replicates" in entry:
            pairs = [(r.get("seed"), r.get("cache_key")) for r in entry["replicates"]]
        else:
            pairs = [(run.training.seed if run else None, entry.get("cache_key"))]
        trained = [_provenance(cache, key, seed) for seed, key in pairs if isinstance(key, str)]
        runs[name] = {"seeds": [seed for seed, _ in pairs], "cache_keys": [key for _, key in pairs], "trained": trained}
        if run and trained and trained[0].get("data"):
            data[run.dataset] = trained[0]["data"]
    from ..run.environment import manifest as environment

    versions = {k: v for k, v in environment().items() if k != "devices"}
    return {
        "format": FORMAT,
        "experiment": {"name": spec.name, "file": f"{EXPERIMENTS}/{Path(spec.file).name}", "title": spec.title,
                       "course": spec.course, "pw": spec.pw, "authors": list(spec.authors), "group": spec.group, "date": spec.date},
        "profile": results.get("profile", spec.profile),
        "files": {name: sha256(files[name]) for name in sorted(files)},
        "data": dict(sorted(data.items())),
        "runs": runs,
        "versions": {"reportgen": _version(), **versions},
    }


def _version() -> str | None:
    try:
        return metadata.version("reportgen")
    except metadata.PackageNotFoundError:
        return None


def check_files(listed: Any, unpacked: dict[str, Path]) -> dict[str, list[str]]:
    """{'ok', 'tampered', 'missing', 'unlisted'}: each unpacked file (manifest.json aside) against the manifest's SHA-256."""
    listed = listed if isinstance(listed, dict) else {}
    found = {name: path for name, path in unpacked.items() if name != MANIFEST}
    out: dict[str, list[str]] = {"ok": [], "tampered": [], "missing": [], "unlisted": []}
    for name in sorted(listed):
        if name not in found:
            out["missing"].append(field(name))  # a name the student's manifest wrote: shown escaped, bounded
        else:
            out["ok" if listed[name] == _file_sha256(found[name]) else "tampered"].append(name)
    out["unlisted"] = sorted(set(found) - set(listed))
    return out


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def dumps(value: Any) -> bytes:
    """JSON as written into a submission: sorted keys, so the same manifest is the same bytes."""
    return (json.dumps(value, indent=1, sort_keys=True) + "\n").encode("utf-8")
