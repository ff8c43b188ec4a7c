"""run_experiment: every run of a spec, from the cache when its key is there, else trained and stored."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from ..data import DataSource, Dataset, array_fingerprint, file_fingerprint, load, locate
from ..errors import RunError
from ..quiet import import_keras
from ..spec import DatasetSpec, ExperimentSpec, RunSpec, catalog
from .cache import Cache, cache_key
from .environment import manifest, result_versions
from .preflight import check_models
from .prepared import describe, prepare
from .probes import compute_probe, wanted_probes
from .progress import TrainingProgress
from .result import RunResult

__all__ = ["plan_keys", "run_experiment"]


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
    return {name: _entry(cache, key, run_key) or key for name, (key, run_key) in _keys(spec, cache, data).items()}


def _entry(cache: Cache, key: str, run_key: str) -> str | None:
    """The cache entry holding a run's result: this environment's, else the same run trained elsewhere."""
    return key if cache.has(key) else cache.same_run(run_key)


def _keys(spec: ExperimentSpec, cache: Cache, data: _Data | None = None) -> dict[str, tuple[str, str]]:
    """{run name: (key in this environment, key of the run and data alone)}."""
    data = data or _Data(spec.datasets, cache.root / "fingerprints.json")
    versions = result_versions()
    keys = {}
    for name, run in spec.runs.items():
        identity = {"run": run.canonical(spec.datasets[run.dataset]), "data": data.fingerprint(run.dataset)}
        weights = _weights_files(run, Path(spec.file).parent)
        if weights:  # a backbone's weights from a file: its content, not its name, decides the result
            identity["weights"] = {layer: file_fingerprint([path], data.memo) for layer, path in weights.items()}
        keys[name] = (cache_key({**identity, "versions": versions}), cache_key(identity))
    return keys


def _weights_files(run: RunSpec, base: Path) -> dict[str, str]:
    """{backbone layer: weights file} for backbones initialised from a file of the user's (not imagenet, not none)."""
    files = {}
    for layer in run.model.layers:
        weights = layer.args.get("weights") if layer.kind in catalog.APPLICATIONS else None
        if weights and weights not in ("imagenet", "none"):
            path = (base / weights).resolve()
            if not path.is_file():
                raise RunError(f"run '{run.name}': weights file '{weights}' of {layer.kind} not found (looked at {path})")
            files[layer.name or layer.kind] = str(path)
    return files


def run_experiment(spec: ExperimentSpec, cache: Cache, force: bool = False, show_progress: bool = True) -> dict[str, RunResult]:
    """Results for every run in file order; only runs missing from the cache (or all, with force) train."""
    cache.root.mkdir(parents=True, exist_ok=True)
    cache.clean_temporaries()
    data = _Data(spec.datasets, cache.root / "fingerprints.json")
    keys = _keys(spec, cache, data)
    found = {name: _entry(cache, key, run_key) for name, (key, run_key) in keys.items()}
    to_train = [name for name in keys if force or not found[name]]
    if to_train:  # every model is built on its data's shape before the first run trains: all shape errors at once
        check_models(spec, to_train, base=Path(spec.file).parent)
    results: dict[str, RunResult] = {}
    with TrainingProgress(len(keys), enabled=show_progress) as progress:
        for name, (key, run_key) in keys.items():
            if name not in to_train:
                record = cache.read(found[name])
                results[name] = RunResult(name, found[name], record, True, cache)
                elsewhere = "" if found[name] == key else f" (trained with {record['manifest']['backend']} {record['manifest']['backend_version']})"
                progress.skip(f"cached  {name}{elsewhere}")
                continue
            with tempfile.TemporaryDirectory(prefix="reportgen-") as workdir:
                record, arrays, model = _train(spec, name, data, progress, Path(workdir))
                cache.write(key, record, arrays, extra={"model.keras": Path(workdir) / "model.keras"}, spec_key=run_key)
                _probe(spec, name, key, cache, data, model)  # while the model is in memory: no reload
            results[name] = RunResult(name, key, record, False, cache)
            acc = record["metrics"].get("test_accuracy")
            shown = f", test accuracy {acc:.1%}" if acc is not None else ""
            progress.end_run(f"trained {name} in {record['seconds']:.1f} s{shown}")
    for name, result in results.items():
        if result.from_cache:  # a figure added since the run trained may need a probe its entry lacks
            _probe(spec, name, result.key, cache, data)
    return results


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


def _train(spec: ExperimentSpec, name: str, data: _Data, progress: TrainingProgress, workdir: Path) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """Train one run; the record carries its spec, data description and environment."""
    import_keras()  # quietly, before train imports it: Keras is imported only when something trains
    from .train import devices, train_run

    run = spec.runs[name]
    dataset_spec = spec.datasets[run.dataset]
    dataset = data.load(run.dataset)
    prepared = prepare(dataset, run.subset)
    progress.start_run(name, run.training.total_epochs, max(1, -(-len(prepared.x_train) // run.training.batch_size)))
    record, arrays, model = train_run(run, dataset_spec, prepared, progress, workdir, base=Path(spec.file).parent)
    record.update(
        name=name,
        run=run.canonical(dataset_spec),
        dataset=describe(prepared, dataset, data.fingerprint(run.dataset)),
        manifest=manifest(devices()),
    )
    return record, arrays, model
