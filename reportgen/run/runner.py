"""run_experiment: every run of a spec, from the cache when its key is there, else trained and stored."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
from dataclasses import replace
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..data import DataSource, Dataset, array_fingerprint, file_fingerprint, load, locate
from ..errors import RunError
from ..numbers import percent
from ..quiet import import_keras
from ..spec import DatasetSpec, ExperimentSpec
from .cache import Cache
from .environment import manifest
from .job import Job
from .plan import PlannedRun, plan_runs
from .preflight import check_models
from .prepared import describe, prepare_run
from .probes import compute_probe, wanted_probes
from .progress import TrainingProgress
from .result import RunResult

__all__ = ["plan_keys", "run_experiment"]

_KEY = re.compile(r"[0-9a-f]{64}")  # a cache key; an entry naming anything else would point outside the cache


class _Data:
    """Finds, fingerprints and loads each dataset at most once per build."""

    def __init__(self, specs: dict[str, DatasetSpec], memo: Path):
        self.specs = specs
        self.memo = memo
        self._sources: dict[str, DataSource] = {}
        self._loaded: dict[str, Dataset] = {}
        self._fingerprints: dict[str, str] = {}

    def source(self, name: str) -> DataSource:
        if name not in self._sources:
            spec = self.specs[name]
            self._sources[name] = locate(spec.source, spec.options)
        return self._sources[name]

    def fingerprint(self, name: str) -> str:
        if name not in self._fingerprints:
            files = self.source(name).files
            self._fingerprints[name] = file_fingerprint(files, self.memo) if files else array_fingerprint(self.load(name))
        return self._fingerprints[name]

    def load(self, name: str) -> Dataset:
        if name not in self._loaded:
            spec = self.specs[name]
            self._loaded[name] = load(spec.source, spec.options)
        return self._loaded[name]


def plan_keys(spec: ExperimentSpec, cache: Cache, data: _Data | None = None) -> dict[str, str]:
    """{run name: the cache entry to use} ('name@seed=S' for a run's other seed replicates): this environment's key,
    else the same run trained elsewhere (another backend, version or machine). Reads files' fingerprints (memoised),
    trains nothing."""
    data = data or _Data(spec.datasets, cache.root / "fingerprints.json")
    return {_label(planned): planned.entry for planned in plan_runs(spec, cache, data)}


def _label(planned: PlannedRun) -> str:
    """'mlp' (a run, or its first seed replicate), 'mlp@seed=1' (another replicate): in progress lines and messages."""
    return planned.name if planned.replicate == 0 else f"{planned.name}@seed={planned.seed}"


def run_experiment(spec: ExperimentSpec, cache: Cache, force: bool = False, show_progress: bool = True,
                   train: bool = True) -> dict[str, RunResult]:
    """Results for every run in file order; only runs without a trusted cache entry (or all, with force) train, parents
    before their children. With train=False, a run that would train is a one-line error instead."""
    cache.root.mkdir(parents=True, exist_ok=True)
    cache.clean_temporaries()
    data = _Data(spec.datasets, cache.root / "fingerprints.json")
    plan = plan_runs(spec, cache, data, force)
    to_train = [planned.name for planned in plan if planned.train]
    if to_train and not train:
        first = next(planned for planned in plan if planned.train)
        why = f"its entry {first.key[:12]} is not used: {first.refused}" if first.refused else "no entry in the cache"
        raise RunError(f"run '{first.name}' would train ({why}), and training is off (--no-train); "
                       f"{len(to_train)} of {len(plan)} runs lack a trusted entry in {cache.root}")
    if to_train:  # every model is built on its data's shape before the first run trains: all shape errors at once
        check_models(spec, to_train, base=Path(spec.file).parent)
    done: dict[str, list[RunResult]] = {}  # run -> its replicates' results, the first seed first
    with TrainingProgress(len(plan), enabled=show_progress) as progress:
        for planned in plan:
            name, label = planned.name, _label(planned)
            if not planned.train:
                record = cache.read(planned.entry)
                result = RunResult(name, planned.entry, record, True, cache, seed=planned.seed)
                elsewhere = "" if planned.entry == planned.key else f" (trained with {record['manifest']['backend']} {record['manifest']['backend_version']})"
                failure = result.failure
                progress.skip(f"cached  {label}{elsewhere}" + (f": failed, {failure}" if failure else ""))
                done.setdefault(name, []).append(result)
                continue
            if planned.refused:  # an entry that is there but not trusted is never used silently
                progress.note(f"retrain {label}: cache entry {planned.key[:12]} not used ({planned.refused})")
            # A failed run stays failed (and cached: it is deterministic); its children do not start.
            broken = {parent: failure for parent in planned.parents if (failure := _failed_parent(done.get(parent), planned.parents[parent]))}
            # The run's files are written beside the cache (same disk; a killed run's folder is cleaned like any temporary).
            with _writing(label, cache.root), tempfile.TemporaryDirectory(prefix=f".tmp-{os.getpid()}-run-", dir=cache.root) as workdir:
                record, arrays, model = _train(spec, planned, data, cache, progress, Path(workdir), broken)
                extra = {"model.keras": Path(workdir) / "model.keras"} if model is not None else {}
                cache.write(planned.key, record, arrays, extra=extra, spec_key=planned.run_key)
                if "failure" not in record and planned.replicate == 0:  # figures show the first seed: only it is probed
                    _probe(spec, name, planned.key, cache, data, model)  # while the model is in memory: no reload
            done.setdefault(name, []).append(RunResult(name, planned.key, record, False, cache, seed=planned.seed))
            (progress.skip if broken else progress.end_run)(_end_line(label, record))
    results = {name: RunResult.of_replicates(replicates) for name, replicates in done.items()}
    for name, result in results.items():
        if result.from_cache and not result.failed:  # a figure added since the run trained may need a probe its entry lacks
            _probe(spec, name, result.key, cache, data)
    return {name: results[name] for name in spec.runs}


def _failed_parent(replicates: list[RunResult] | None, entry: str) -> str | None:
    """Why the parent's replicate at `entry` failed, or None (also when it is not among this build's results)."""
    return next((result.failure for result in replicates or [] if result.key == entry and result.failed), None)


@contextlib.contextmanager
def _writing(name: str, folder: Path) -> Iterator[None]:
    """A full disk (or quota, or file-size limit) while a run writes: one line naming the folder, not a traceback."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            raise
        raise RunError(f"run '{name}': cannot write in {folder}: {exc.strerror} (no entry was half-written; "
                       "free space there or point --cache elsewhere)") from exc


def _end_line(name: str, record: dict[str, Any]) -> str:
    """The progress line of a run just trained: its time and headline metric, or why it failed."""
    if record.get("status") == "failed":
        return f"failed  {name}" + (f" after {record['seconds']:.1f} s" if record["seconds"] else "") + f": {record['failure']}"
    return f"trained {name} in {record['seconds']:.1f} s{_headline(record)}"


def _headline(record: dict[str, Any]) -> str:
    metrics = record["metrics"]
    if "test_accuracy" in metrics:
        return f", test accuracy {percent(metrics['test_accuracy'], metrics.get('test_total'))}"
    if "test_psnr" in metrics:
        return f", test MSE {metrics['test_mse']:.4f} ({metrics['test_psnr']:.1f} dB)"
    return ""


def _probe(spec: ExperimentSpec, name: str, key: str, cache: Cache, data: _Data, model: Any = None) -> None:
    """Compute the probes the figures need from this run that its cache entry does not hold yet, from the trained
    model in memory or else the saved one (loaded only when a probe is missing)."""
    probes = wanted_probes(spec).get(name, {})
    missing = {probe: arrays for probe, arrays in probes.items() if not cache.has_probe(key, probe, arrays)}
    if missing and model is None:
        import_keras()
        from ..model.backbones import BackbonePreprocess  # noqa: F401  (registers the layer the saved model may hold)
        import keras

        model = keras.saving.load_model(cache.model_file(key))
    for probe, arrays in missing.items():
        cache.write_probe(key, probe, compute_probe(probe, arrays, model, lambda: data.load(spec.runs[name].dataset), name))


def _train(spec: ExperimentSpec, planned: PlannedRun, data: _Data, cache: Cache, progress: TrainingProgress,
           workdir: Path, broken: dict[str, str | None] | None = None) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """Train one run with its kind's trainer; the record carries its spec, data description and environment. A run
    with a failed parent (`broken`: {parent: why}) does not start: a failed record."""
    import_keras()  # quietly, before the trainers import it: Keras is imported only when something trains
    from .kinds import trainer
    from .train import devices

    run = replace(spec.runs[planned.name].replicate(planned.seed), name=_label(planned))  # this replicate's seed; named in progress
    dataset_spec = spec.datasets[run.dataset]
    dataset = data.load(run.dataset)
    prepared = prepare_run(dataset, run)
    if broken:
        record, arrays, model = _not_started(broken, prepared.x_train.shape[1:]), {}, None
    else:
        parents = {name: _parent(spec, name, entry, cache) for name, entry in planned.parents.items()}
        job = Job(run, dataset_spec, prepared, progress.handle, workdir, Path(spec.file).parent, parents)
        record, arrays, model = trainer(run.kind)(job)
    record.update(
        name=planned.name,
        kind=run.kind,
        run=run.canonical(dataset_spec),
        parents=planned.parents,
        dataset=describe(prepared, dataset, data.fingerprint(run.dataset), run),
        manifest=manifest(devices()),
    )
    return record, arrays, model


def _not_started(broken: dict[str, str | None], input_shape: tuple[int, ...]) -> dict[str, Any]:
    """The record of a run whose parent failed: not trained, no metrics, no weights."""
    return {"metrics": {}, "history": {}, "epochs": 0, "seconds": 0.0, "params": 0, "layers": [],
            "input_shape": [int(d) for d in input_shape], "status": "failed",
            "failure": f"its parent '{next(iter(broken))}' failed; not trained"}  # the parent's line says why


def _parent(spec: ExperimentSpec, name: str, entry: str, cache: Cache) -> Any:
    """A parent as its children need it: spec, input, and the trained weights of its cache entry."""
    from ..model import Parent

    record = cache.read(entry)
    entries = record.get("parents") or {}
    missing = [parent for parent in spec.runs[name].parents() if not _KEY.fullmatch(str(entries.get(parent)))]
    if missing:
        raise RunError(f"run '{name}': its cache entry {entry[:12]} does not name the entry of its parent '{missing[0]}'")
    # The spec's parents, not the entry's: a lineage checked acyclic bounds the walk, whatever an entry says.
    ancestors = {parent: _parent(spec, parent, entries[parent], cache) for parent in spec.runs[name].parents()}
    return Parent(spec.runs[name], spec.datasets[spec.runs[name].dataset], tuple(record["input_shape"]),
                  int(record["dataset"].get("max_value", 255)), tuple(layer["name"] for layer in record["layers"]),
                  cache.arrays(entry), ancestors)
