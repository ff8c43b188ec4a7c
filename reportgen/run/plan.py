"""plan_runs: every training (each seed replicate apart) with its cache key, in dependency order (parents' entries in keys)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..data import file_fingerprint
from ..errors import RunError
from ..spec import ExperimentSpec, RunSpec, catalog
from ..spec.lineage import topological
from ..spec.paths import inside
from .cache import Cache, cache_key
from .environment import result_versions

__all__ = ["PlannedRun", "plan_runs"]


@dataclass(frozen=True)
class PlannedRun:
    """One training of the plan (a run, or one seed replicate of it): its key here, its key of run and data alone, and the
    entry it will use."""

    name: str
    seed: int  # the replicate's training.seed (a run without `seeds:` has one replicate, its own seed)
    replicate: int  # its place among the run's seeds: 0 is the run's first seed, the one its figures show
    key: str  # this environment's key (spec, data, parents' entries, versions)
    run_key: str  # the same without versions: finds the run trained elsewhere
    entry: str  # the entry holding (or that will hold) its result
    train: bool  # no trusted entry yet, or --force
    parents: dict[str, str] = field(default_factory=dict)  # parent run -> its entry
    refused: str = ""  # why an entry present under its key is not used (unsealed, damaged, untrusted key)


def plan_runs(spec: ExperimentSpec, cache: Cache, data: Any, force: bool = False) -> list[PlannedRun]:
    """Runs in dependency order, each seed replicate a training of its own (keyed with its seed: the replicate whose
    seed is the run's `training.seed` has the key the run has without replicates). A parent's entry (its result) is
    part of each child's key, so a parent retrained with other settings retrains its children, and nothing else; a
    child's replicate starts from the parent's replicate of the same seed, or the parent's first seed if it has not
    that one. Reads files' fingerprints; trains nothing."""
    versions = result_versions()
    entries: dict[str, dict[int, str]] = {}  # run -> {seed: entry}, the first seed first
    plan = []
    for name in topological(spec.runs):
        run = spec.runs[name]
        weights = _weights_files(run, Path(spec.file).parent)
        entries[name] = {}
        for replicate, seed in enumerate(run.replicate_seeds):
            one = run.replicate(seed)
            identity: dict[str, Any] = {"run": one.canonical(spec.datasets[run.dataset]), "data": data.fingerprint(run.dataset)}
            if weights:  # a backbone's weights from a file: its content, not its name, decides the result
                identity["weights"] = {layer: file_fingerprint([path], data.memo) for layer, path in weights.items()}
            parents = {parent: entries[parent].get(seed, next(iter(entries[parent].values()))) for parent in run.parents()}
            if parents:
                identity["parents"] = parents
            key, run_key = cache_key({**identity, "versions": versions}), cache_key(identity)
            found = None if force else (key if cache.trusted(key) else cache.same_run(run_key))
            refused = cache.verify(key).reason if not force and found is None and cache.has(key) else ""
            entries[name][seed] = found or key
            plan.append(PlannedRun(name, seed, replicate, key, run_key, entries[name][seed], found is None, parents, refused))
    return plan


def _weights_files(run: RunSpec, base: Path) -> dict[str, str]:
    """{backbone layer: weights file} for backbones initialised from a file of the user's (not imagenet, not none)."""
    files = {}
    for layer in run.model.layers:
        weights = layer.args.get("weights") if layer.kind in catalog.APPLICATIONS else None
        if weights and weights not in ("imagenet", "none"):
            path = (base / weights).resolve()
            if not inside(path, base):  # the spec refuses '..' and absolute paths; a link out is refused here
                raise RunError(f"run '{run.name}': weights file '{weights}' of {layer.kind} leads outside the experiment's "
                               f"folder (to {path})")
            if not path.is_file():
                raise RunError(f"run '{run.name}': weights file '{weights}' of {layer.kind} not found (looked at {path})")
            files[layer.name or layer.kind] = str(path)
    return files
