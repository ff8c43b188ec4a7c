"""RunJob: one planned training as an executor ships it (picklable, no cache, no UI), and run_job, which trains it anywhere."""

from __future__ import annotations

import os
import re
import sys
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..data import Dataset
from ..errors import RunError
from ..limits import LIMITS, configure, limit
from ..quiet import import_keras
from ..spec import DatasetSpec, ExperimentSpec, RunSpec
from .cache import Cache
from .collect import write_entry, writing
from .environment import manifest, result_versions
from .events import Emit
from .job import Job
from .plan import PlannedRun
from .prepared import describe, prepare_run

__all__ = ["RunJob", "label", "make_job", "parent_of", "prepare_worker", "run_job", "train_job"]

_KEY = re.compile(r"[0-9a-f]{64}")  # a cache key; an entry naming anything else would point outside the cache


def label(planned: PlannedRun) -> str:
    """'mlp' (a run, or its first seed replicate), 'mlp@seed=1' (another replicate): in progress lines and messages."""
    return planned.name if planned.replicate == 0 else f"{planned.name}@seed={planned.seed}"


@dataclass(frozen=True)
class RunJob:
    """What a worker needs to train one planned run and write its cache entry: specs, its parents' trained weights
    (read from the driver's verified cache), the probes its figures need, and the versions and limits its key and checks
    were made with. The dataset travels beside it (an executor ships each dataset once)."""

    planned: PlannedRun
    run: RunSpec  # this replicate (its seed), named by its label
    dataset: DatasetSpec
    fingerprint: str  # the dataset's, as the plan keyed it
    base: Path  # the experiment's folder (weights files)
    parents: dict[str, Any] = field(default_factory=dict)  # parent run -> model.Parent (with its trained weights)
    broken: dict[str, str | None] = field(default_factory=dict)  # failed parent -> why: the run does not start
    probes: dict[str, list[str]] = field(default_factory=dict)  # probe -> arrays, computed from the trained model
    versions: dict[str, Any] = field(default_factory=dict)  # result_versions() of the driver: part of the key
    limits: dict[str, int] = field(default_factory=dict)  # every limit in force on the driver

    @property
    def label(self) -> str:
        return self.run.name


def make_job(spec: ExperimentSpec, planned: PlannedRun, fingerprint: str, cache: Cache, broken: dict[str, str | None],
             probes: dict[str, list[str]]) -> RunJob:
    """The job of a planned run whose parents are in the cache (or failed: `broken`)."""
    run = replace(spec.runs[planned.name].replicate(planned.seed), name=label(planned))
    parents = {} if broken else {name: parent_of(spec, name, entry, cache) for name, entry in planned.parents.items()}
    return RunJob(planned, run, spec.datasets[run.dataset], fingerprint, Path(spec.file).parent, parents, broken,
                  probes if planned.replicate == 0 else {},  # figures show the first seed: only it is probed
                  result_versions(), {name: limit(name) for name in LIMITS})


def parent_of(spec: ExperimentSpec, name: str, entry: str, cache: Cache) -> Any:
    """A parent as its children need it: spec, input, and the trained weights of its cache entry."""
    import_keras()
    from ..model import Parent

    record = cache.read(entry)
    entries = record.get("parents") or {}
    missing = [parent for parent in spec.runs[name].parents() if not _KEY.fullmatch(str(entries.get(parent)))]
    if missing:
        raise RunError(f"run '{name}': its cache entry {entry[:12]} does not name the entry of its parent '{missing[0]}'")
    # The spec's parents, not the entry's: a lineage checked acyclic bounds the walk, whatever an entry says.
    ancestors = {parent: parent_of(spec, parent, entries[parent], cache) for parent in spec.runs[name].parents()}
    return Parent(spec.runs[name], spec.datasets[spec.runs[name].dataset], tuple(record["input_shape"]),
                  int(record["dataset"].get("max_value", 255)), tuple(layer["name"] for layer in record["layers"]),
                  cache.arrays(entry), ancestors)


def prepare_worker(job: RunJob) -> None:
    """In a worker process (a Ray task): the driver's limits, its Keras backend, and the same versions, else the entry
    would hold results its key does not describe."""
    configure(job.limits)
    if "keras" not in sys.modules and job.versions.get("backend"):
        os.environ["KERAS_BACKEND"] = job.versions["backend"]
    here = result_versions()
    if here != job.versions:
        differ = ", ".join(f"{k} {here.get(k)} (driver: {v})" for k, v in job.versions.items() if here.get(k) != v)
        raise RunError(f"run '{job.label}': this worker has {differ}; install the driver's versions on every node")


def run_job(job: RunJob, dataset: Dataset, cache: Cache, emit: Emit) -> None:
    """Train a job and write its sealed entry (and probes) into `cache`: the build's own with the local executor, a
    scratch one on a Ray worker. The run's files are written beside the cache (same disk; a killed run's folder is
    cleaned like any temporary)."""
    cache.root.mkdir(parents=True, exist_ok=True)
    with writing(job.label, cache.root), tempfile.TemporaryDirectory(prefix=f".tmp-{os.getpid()}-run-", dir=cache.root) as workdir:
        record, arrays, model = train_job(job, dataset, emit, Path(workdir))
        write_entry(cache, job, record, arrays, model, Path(workdir), lambda: dataset)


def train_job(job: RunJob, dataset: Dataset, emit: Emit, workdir: Path) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """Train one run with its kind's trainer; the record carries its spec, data description and environment. A run
    with a failed parent (`broken`) does not start: a failed record."""
    import_keras()  # quietly, before the trainers import it: Keras is imported only when something trains
    from .kinds import trainer
    from .train import devices

    run = job.run
    prepared = prepare_run(dataset, run)
    if job.broken:
        record, arrays, model = _not_started(job.broken, prepared.x_train.shape[1:]), {}, None
    else:
        record, arrays, model = trainer(run.kind)(Job(run, job.dataset, prepared, emit, workdir, job.base, job.parents))
    record.update(
        name=job.planned.name,
        kind=run.kind,
        run=run.canonical(job.dataset),
        parents=job.planned.parents,
        dataset=describe(prepared, dataset, job.fingerprint, run),
        manifest=manifest(devices()),
    )
    return record, arrays, model


def _not_started(broken: dict[str, str | None], input_shape: tuple[int, ...]) -> dict[str, Any]:
    """The record of a run whose parent failed: not trained, no metrics, no weights."""
    return {"metrics": {}, "history": {}, "epochs": 0, "seconds": 0.0, "params": 0, "layers": [],
            "input_shape": [int(d) for d in input_shape], "status": "failed",
            "failure": f"its parent '{next(iter(broken))}' failed; not trained"}  # the parent's line says why

