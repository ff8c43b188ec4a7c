"""run_experiment: plan the runs, execute those without a trusted cache entry (locally or on Ray), collect the results."""

from __future__ import annotations

from pathlib import Path

from ..data import DataSource, Dataset, array_fingerprint, file_fingerprint
from ..errors import RunError
from ..spec import DatasetSpec, ExperimentSpec
from .cache import Cache
from .collect import end_line, import_entry, probe_entry
from .datasets import load_dataset, locate_dataset
from .execute import label, make_job, parent_of
from .executors import Executor, open_executor
from .plan import PlannedRun, plan_runs
from .preflight import check_models
from .probes import wanted_probes
from .progress import TrainingProgress
from .result import RunResult

__all__ = ["plan_keys", "run_experiment"]

_parent = parent_of  # the name tests and older callers know


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
            self._sources[name] = locate_dataset(spec)
        return self._sources[name]

    def fingerprint(self, name: str) -> str:
        if name not in self._fingerprints:
            files = self.source(name).files
            self._fingerprints[name] = file_fingerprint(files, self.memo) if files else array_fingerprint(self.load(name))
        return self._fingerprints[name]

    def load(self, name: str) -> Dataset:
        if name not in self._loaded:
            spec = self.specs[name]
            self._loaded[name] = load_dataset(spec)
        return self._loaded[name]


def plan_keys(spec: ExperimentSpec, cache: Cache, data: _Data | None = None) -> dict[str, str]:
    """{run name: the cache entry to use} ('name@seed=S' for a run's other seed replicates): this environment's key,
    else the same run trained elsewhere (another backend, version or machine). Reads files' fingerprints (memoised),
    trains nothing."""
    data = data or _Data(spec.datasets, cache.root / "fingerprints.json")
    return {label(planned): planned.entry for planned in plan_runs(spec, cache, data)}


def run_experiment(spec: ExperimentSpec, cache: Cache, force: bool = False, show_progress: bool = True,
                   train: bool = True, executor: str = "local", address: str | None = None) -> dict[str, RunResult]:
    """Results for every run in file order; only runs without a trusted cache entry (or all, with force) train, each
    once its parents are collected, on the executor named ('local': in this process, one at a time; 'ray': one Ray
    task each, at `address` or on a local instance). With train=False, a run that would train is a one-line error."""
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
    done: dict[str, list[RunResult]] = {}  # run -> its replicates' results
    with TrainingProgress(len(plan), enabled=show_progress) as progress:
        runner = open_executor(executor, cache, data.load, progress.handle, address) if to_train else None
        try:
            _execute(spec, plan, cache, data, runner, progress, done)
        finally:
            if runner is not None:
                runner.close()
    order = {(planned.name, planned.seed): planned.replicate for planned in plan}  # runs finish in any order on Ray
    results = {name: RunResult.of_replicates(sorted(replicates, key=lambda r: order[(name, r.seed)]))
               for name, replicates in done.items()}
    wanted = wanted_probes(spec)
    for name, result in results.items():
        if result.from_cache and not result.failed:  # a figure added since the run trained may need a probe its entry lacks
            probe_entry(cache, result.key, wanted.get(name, {}), None, lambda name=name: data.load(spec.runs[name].dataset), name)
    return {name: results[name] for name in spec.runs}


def _execute(spec: ExperimentSpec, plan: list[PlannedRun], cache: Cache, data: _Data, runner: Executor | None,
             progress: TrainingProgress, done: dict[str, list[RunResult]]) -> None:
    """Hand the executor each run whose parents are collected, in plan order, and collect what it hands back."""
    waiting, running = list(plan), 0
    in_flight: set[str] = set()  # entries submitted and not collected yet
    wanted = wanted_probes(spec)
    while waiting or running:
        for planned in list(waiting):
            pending = {other.entry for other in waiting} | in_flight  # a parent's entry among these: not collected yet
            if planned.train and (running >= runner.capacity or set(planned.parents.values()) & pending):
                if runner.capacity == 1:
                    break  # one at a time: in plan order, as a plain loop prints its lines
                continue
            waiting.remove(planned)
            if not planned.train:
                _cached(planned, cache, progress, done)
                continue
            if planned.refused:  # an entry that is there but not trusted is never used silently
                progress.note(f"retrain {label(planned)}: cache entry {planned.key[:12]} not used ({planned.refused})")
            # A failed run stays failed (and cached: it is deterministic); its children do not start.
            broken = {parent: failure for parent in planned.parents if (failure := _failed_parent(done.get(parent), planned.parents[parent]))}
            runner.submit(make_job(spec, planned, data.fingerprint(spec.runs[planned.name].dataset), cache, broken,
                                   wanted.get(planned.name, {})))
            running += 1
            in_flight.add(planned.entry)
        if running:
            outcome = runner.next_done()
            running -= 1
            job = outcome.job
            in_flight.discard(job.planned.entry)
            if outcome.files is not None:
                import_entry(cache, job, outcome.files)
            record = cache.read(job.planned.key)
            done.setdefault(job.planned.name, []).append(RunResult(job.planned.name, job.planned.key, record, False, cache,
                                                                   seed=job.planned.seed))
            if job.broken:
                progress.skip(end_line(job.label, record))
            else:
                progress.end_run(end_line(job.label, record), job.label)


def _cached(planned: PlannedRun, cache: Cache, progress: TrainingProgress, done: dict[str, list[RunResult]]) -> None:
    """A run whose trusted entry is there: its result, and a line saying so (and where it was trained, if elsewhere)."""
    record = cache.read(planned.entry)
    result = RunResult(planned.name, planned.entry, record, True, cache, seed=planned.seed)
    elsewhere = "" if planned.entry == planned.key else f" (trained with {record['manifest']['backend']} {record['manifest']['backend_version']})"
    failure = result.failure
    progress.skip(f"cached  {label(planned)}{elsewhere}" + (f": failed, {failure}" if failure else ""))
    done.setdefault(planned.name, []).append(result)


def _failed_parent(replicates: list[RunResult] | None, entry: str) -> str | None:
    """Why the parent's replicate at `entry` failed, or None (also when it is not among this build's results)."""
    return next((result.failure for result in replicates or [] if result.key == entry and result.failed), None)
