"""Executors: a sweep built on a local Ray instance gives the results of the local executor, through verified entries."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import pickle
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from reportgen.cli import main
from reportgen.errors import RunError
from reportgen.run import Cache
from reportgen.run.collect import import_entry, pack_entry
from reportgen.run.seal import local_signer

# Six tiny trainings of one epoch on the bundled digits, and a child of a failing run: a sweep, a parent with two seed
# replicates whose trained layer a child copies, a figure that needs a probe (the diagram), a loss that goes inf in epoch 2.
SPEC = """\
title: "Executors"
datasets:
  flat: {source: digits, flatten: true}
training: {epochs: 1, batch_size: 64, seed: 3}
runs:
  mlp:
    dataset: flat
    model: [{Dense: {units: 8, activation: relu}}, {Dense: {units: 10, activation: softmax}}]
    sweep: {"model[0].units": [8, 16]}
  dense:
    dataset: flat
    seeds: [3, 4]
    model: [{Dense: {units: 10, activation: softmax, name: out}}]
  tuned:
    dataset: flat
    from: {run: dense, layers: [out], trainable: true}
    model: [{Dense: {units: 10, activation: softmax, name: out}}]
  bad:
    dataset: flat
    model: [{Dense: {units: 10, name: out}}]
    training: {optimizer: sgd, learning_rate: 3.0, loss: mean_squared_error, epochs: 2}
  child:
    dataset: flat
    from: {run: bad, layers: [out], trainable: true}
    model: [{Dense: {units: 10, activation: softmax, name: out}}]
report:
  sections:
    - title: Results
      content:
        - table: {caption: Runs}
        - diagram: {run: dense}
"""
TIMINGS = {"seconds", "from_cache"}


def _report(file: Path, out: Path, cache: Path, *extra: str) -> tuple[int, str]:
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        code = main(["report", str(file), "--out", str(out), "--cache", str(cache), *extra])
    return code, stderr.getvalue()


def _without_timings(value):
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if k not in TIMINGS}
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


@pytest.fixture(scope="module")
def ray_instance(tmp_path_factory: pytest.TempPathFactory):
    """A local Ray instance of 2 CPUs for this module, its workers sealing with the module's key; shut down at the end."""
    import ray

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REPORTGEN_KEY", str(tmp_path_factory.mktemp("key") / "key"))  # before Ray starts: its workers inherit it
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
        try:
            yield ray
        finally:
            ray.shutdown()


@pytest.fixture(scope="module")
def builds(ray_instance, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The sweep built with the local executor, then with Ray, into separate caches and outputs."""
    tmp = tmp_path_factory.mktemp("executors")
    file = tmp / "sweep.yaml"
    file.write_text(SPEC)
    local = _report(file, tmp / "local", tmp / "cache-local")
    remote = _report(file, tmp / "ray", tmp / "cache-ray", "--executor", "ray")
    return {"tmp": tmp, "local": local, "ray": remote,
            "results": {name: json.loads((tmp / name / "results.json").read_text()) for name in ("local", "ray")}}


def test_ray_gives_the_results_of_the_local_executor(builds) -> None:
    local, remote = builds["results"]["local"], builds["results"]["ray"]
    assert set(remote["runs"]) == {"mlp[units=8]", "mlp[units=16]", "dense", "tuned", "bad", "child"}
    assert _without_timings(remote) == _without_timings(local)  # metrics, epochs, sizes, cache keys: all equal
    assert not any(run["from_cache"] for run in remote["runs"].values())


def test_failures_behave_as_with_the_local_executor(builds) -> None:
    for name in ("local", "ray"):
        code, err = builds[name]
        runs = builds["results"][name]["runs"]
        assert code == 1, err  # the report is written, the build is not a success
        assert re.fullmatch(r"loss became (nan|inf) in epoch 2", runs["bad"]["failure"])
        assert runs["child"]["failure"] == "its parent 'bad' failed; not trained" and runs["child"]["epochs"] == 0
        assert runs["tuned"]["status"] == "ok" and "Traceback" not in err
        assert [r["seed"] for r in runs["dense"]["replicates"]] == [3, 4]  # the first seed first, whichever ended first


def test_ray_entries_are_whole_sealed_and_probed(builds) -> None:
    cache = Cache(builds["tmp"] / "cache-ray")
    entries = [p.name for p in cache.root.glob("??/*") if p.is_dir()]
    assert len(entries) == 7 and all(cache.trusted(key) for key in entries)
    assert not list(cache.root.glob(".tmp-*"))
    dense = builds["results"]["ray"]["runs"]["dense"]["cache_key"]
    assert cache.verify(dense).origin == "sealed on this machine"  # the worker's key: this machine's
    assert cache.has_probe(dense, "diagram", ["dot"])  # computed in the task, from the trained model
    assert cache.same_run(cache.read(dense)["run_key"]) == dense  # indexed by run, as written locally


def test_ray_tasks_report_their_progress(builds) -> None:
    err = builds["ray"][1]
    for run in ("mlp[units=8]", "mlp[units=16]", "dense", "tuned"):
        assert f"training {run} (run " in err and f"trained {run} in " in err, err
    assert re.search(r"epoch 1/1: loss \d", err), err  # epoch events come back through the queue
    assert "failed  child: its parent 'bad' failed" in err


def test_a_killed_worker_is_one_line(ray_instance) -> None:
    """A worker that dies mid-task (killed, out of memory): the build stops with one line and the tasks still running are
    cancelled; its entry only ever existed in the worker's scratch folder (an entry is imported whole, once verified)."""
    import os

    from reportgen.run.remote import RayExecutor

    executor = RayExecutor(lambda name: np.zeros(3), lambda event, run: None)
    executor._task = ray_instance.remote(lambda job, data, events: os._exit(9)).options(max_retries=0)
    executor.submit(SimpleNamespace(run=SimpleNamespace(dataset="flat"), label="mlp"))
    try:
        with pytest.raises(RunError, match=r"^run 'mlp': its Ray task did not finish \(\w+\); nothing of it is in the cache"):
            executor.next_done()
    finally:
        executor.close()
    assert ray_instance.is_initialized()  # a Ray the build did not start is left running


def test_missing_ray_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import reportgen.run.executors as executors

    monkeypatch.setattr(executors, "find_spec", lambda name: None)
    (tmp_path / "one.yaml").write_text(SPEC)
    code, err = _report(tmp_path / "one.yaml", tmp_path / "out", tmp_path / "cache", "--executor", "ray")
    assert code == 2 and err.strip() == "error: --executor ray needs Ray, which is not installed: pip install 'reportgen[ray]'"
    code, err = _report(tmp_path / "one.yaml", tmp_path / "out", tmp_path / "cache", "--address", "auto")
    assert code == 2 and err.strip().startswith("error: --address auto is for --executor ray")
    assert not (tmp_path / "cache").exists()  # refused before any work


def _worker_entry(tmp: Path, monkeypatch: pytest.MonkeyPatch, key_file: Path) -> tuple[SimpleNamespace, dict[str, bytes]]:
    """An entry as a worker with the key in `key_file` returns it."""
    monkeypatch.setenv("REPORTGEN_KEY", str(key_file))
    worker = Cache(tmp / "worker")
    key, run_key = "ab" * 32, "cd" * 32
    worker.write(key, {"metrics": {}, "history": {}}, {"y": np.arange(3)}, spec_key=run_key)
    job = SimpleNamespace(planned=SimpleNamespace(key=key, run_key=run_key), label="mlp")
    return job, pack_entry(worker, key)


def test_a_worker_entry_is_imported_only_under_a_trusted_seal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    job, files = _worker_entry(tmp_path, monkeypatch, tmp_path / "worker.key")
    (tmp_path / "worker.pub").write_text(f"reportgen-ed25519 {local_signer().public.public.hex()} worker\n")
    monkeypatch.setenv("REPORTGEN_KEY", str(tmp_path / "driver.key"))
    cache = Cache(tmp_path / "cache")
    with pytest.raises(RunError, match=r"run 'mlp': the entry its worker returned is not used: sealed by a key this machine "
                                       r"does not trust .* Hint: .*REPORTGEN_TRUST"):
        import_entry(cache, job, files)
    assert not cache.has(job.planned.key) and not list(cache.root.glob(".tmp-*"))
    with pytest.raises(RunError, match="outside its entry"):
        import_entry(cache, job, {**files, "../result.json": b"{}"})
    tampered = {**files, "result.json": files["result.json"].replace(b"{", b"{ ", 1)}
    monkeypatch.setenv("REPORTGEN_TRUST", str(tmp_path / "worker.pub"))
    with pytest.raises(RunError, match="result.json does not match its seal"):
        import_entry(Cache(tmp_path / "cache"), job, tampered)
    cache = Cache(tmp_path / "cache")
    import_entry(cache, job, files)
    assert cache.trusted(job.planned.key) and cache.verify(job.planned.key).origin.startswith("imported, sealed by worker")
    assert cache.same_run(job.planned.run_key) == job.planned.key and not list(cache.root.glob(".tmp-*"))


def test_a_job_pickles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What an executor ships holds no cache, UI or callable: it crosses a process boundary as it is."""
    from reportgen.run.execute import make_job
    from reportgen.run.plan import plan_runs
    from reportgen.run.runner import _Data
    from reportgen.spec import load_spec

    monkeypatch.setenv("REPORTGEN_KEY", str(tmp_path / "key"))
    (tmp_path / "sweep.yaml").write_text(SPEC)
    spec, cache = load_spec(tmp_path / "sweep.yaml"), Cache(tmp_path / "cache")
    data = _Data(spec.datasets, tmp_path / "fingerprints.json")
    planned = next(p for p in plan_runs(spec, cache, data) if p.name == "dense")
    job = make_job(spec, planned, data.fingerprint("flat"), cache, {}, {"diagram": ["dot"]})
    again = pickle.loads(pickle.dumps(job))
    assert again == job and again.label == "dense" and again.limits["params"] == 200_000_000
