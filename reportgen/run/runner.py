"""run_experiment: every run of a spec, from the cache when its key is there, else trained and stored."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

from ..data import DataSource, Dataset, array_fingerprint, file_fingerprint, load, locate
from ..errors import RunError
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
    """{run name: the cache entry to use}: this environment's key, else the same run trained elsewhere
    (another backend, version or machine). Reads files' fingerprints (memoised), trains nothing."""
    data = data or _Data(spec.datasets, cache.root / "fingerprints.json")
    return {planned.name: planned.entry for planned in plan_runs(spec, cache, data)}


def run_experiment(spec: ExperimentSpec, cache: Cache, force: bool = False, show_progress: bool = True) -> dict[str, RunResult]:
    """Results for every run in file order; only runs missing from the cache (or all, with force) train, parents
    before their children."""
    cache.root.mkdir(parents=True, exist_ok=True)
    cache.clean_temporaries()
    data = _Data(spec.datasets, cache.root / "fingerprints.json")
    plan = plan_runs(spec, cache, data, force)
    to_train = [planned.name for planned in plan if planned.train]
    if to_train:  # every model is built on its data's shape before the first run trains: all shape errors at once
        check_models(spec, to_train, base=Path(spec.file).parent)
    results: dict[str, RunResult] = {}
    with TrainingProgress(len(plan), enabled=show_progress) as progress:
        for planned in plan:
            name = planned.name
            if not planned.train:
                record = cache.read(planned.entry)
                results[name] = RunResult(name, planned.entry, record, True, cache)
                elsewhere = "" if planned.entry == planned.key else f" (trained with {record['manifest']['backend']} {record['manifest']['backend_version']})"
                progress.skip(f"cached  {name}{elsewhere}")
                continue
            with tempfile.TemporaryDirectory(prefix="reportgen-") as workdir:
                record, arrays, model = _train(spec, planned, data, cache, progress, Path(workdir))
                extra = {"model.keras": Path(workdir) / "model.keras"} if model is not None else {}
                cache.write(planned.key, record, arrays, extra=extra, spec_key=planned.run_key)
                _probe(spec, name, planned.key, cache, data, model)  # while the model is in memory: no reload
            results[name] = RunResult(name, planned.key, record, False, cache)
            progress.end_run(f"trained {name} in {record['seconds']:.1f} s{_headline(record)}")
    for name, result in results.items():
        if result.from_cache:  # a figure added since the run trained may need a probe its entry lacks
            _probe(spec, name, result.key, cache, data)
    return {name: results[name] for name in spec.runs}


def _headline(record: dict[str, Any]) -> str:
    metrics = record["metrics"]
    if "test_accuracy" in metrics:
        return f", test accuracy {metrics['test_accuracy']:.1%}"
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

        model = keras.saving.load_model(cache.entry(key) / "model.keras")
    for probe, arrays in missing.items():
        cache.write_probe(key, probe, compute_probe(probe, arrays, model, lambda: data.load(spec.runs[name].dataset), name))


def _train(spec: ExperimentSpec, planned: PlannedRun, data: _Data, cache: Cache, progress: TrainingProgress,
           workdir: Path) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """Train one run with its kind's trainer; the record carries its spec, data description and environment."""
    import_keras()  # quietly, before the trainers import it: Keras is imported only when something trains
    from .kinds import trainer
    from .train import devices

    run = spec.runs[planned.name]
    dataset_spec = spec.datasets[run.dataset]
    dataset = data.load(run.dataset)
    prepared = prepare_run(dataset, run)
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
