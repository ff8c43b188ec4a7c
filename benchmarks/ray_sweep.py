"""Benchmark: a 6-run sweep on 2 CPU cores with the local executor and with Ray, and Ray's own start-up and per-task cost.

Run: python benchmarks/ray_sweep.py   (writes its section into BENCHMARKS.md; needs `pip install 'reportgen[ray]'`)
Each build is `python -m reportgen report` in a fresh process with a cold cache; the Ray build starts its own local
instance (`--executor ray`, no --address), so its wall time includes Ray's start-up and the Keras import of each worker.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from markdown_table import write_section

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Local and Ray executors: a 6-run sweep (CPU)"
WIDTHS = [16, 32, 64, 128, 256, 512]
SPEC = f"""\
title: "Ray sweep"
datasets:
  flat: {{source: digits, flatten: true}}
training: {{epochs: 10, batch_size: 32, seed: 1}}
runs:
  mlp:
    dataset: flat
    model: [{{Dense: {{units: 64, activation: relu}}}}, {{Dense: {{units: 10, activation: softmax}}}}]
    sweep: {{"model[0].units": {WIDTHS}}}
report:
  sections:
    - title: Results
      content:
        - table: {{caption: Widths}}
"""
# Ray alone, in a fresh process: import, start a local instance, a no-op task on a warm worker, a fresh worker's first
# task importing Keras as a training task does, shut down. Prints one JSON line.
OVERHEAD = """\
import json, logging, statistics, time
t0 = time.perf_counter()
import ray
t1 = time.perf_counter()
ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
t2 = time.perf_counter()
noop = ray.remote(lambda: None)
ray.get(noop.remote())
trips = []
for _ in range(50):
    start = time.perf_counter(); ray.get(noop.remote()); trips.append(time.perf_counter() - start)
@ray.remote(max_calls=1)
def keras_task():
    from reportgen.quiet import import_keras
    import_keras()
start = time.perf_counter(); ray.get(keras_task.remote()); t3 = time.perf_counter()
ray.shutdown()
print(json.dumps({"import": t1 - t0, "init": t2 - t1, "task_ms": 1000 * statistics.median(trips), "keras_task": t3 - start,
                  "shutdown": time.perf_counter() - t3}))
"""


def _build(work: Path, name: str, env: dict[str, str], *extra: str) -> dict:
    start = time.time()
    subprocess.run([sys.executable, "-m", "reportgen", "report", str(work / "sweep.yaml"), "--out", str(work / name),
                    "--cache", str(work / f"cache-{name}"), *extra], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.time() - start
    results = work / name / "results.json"
    runs = json.loads(results.read_text())["runs"]
    return {"wall": wall, "to_results": results.stat().st_mtime - start, "runs": runs,
            "fit": sum(run["seconds"] for run in runs.values())}


def measure() -> dict:
    with tempfile.TemporaryDirectory(prefix="reportgen-ray-") as tmp:
        work = Path(tmp)
        (work / "sweep.yaml").write_text(SPEC)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "REPORTGEN_KEY": str(work / "key"), "TF_CPP_MIN_LOG_LEVEL": "3"}
        overhead = json.loads(subprocess.run([sys.executable, "-c", OVERHEAD], cwd=ROOT, env=env, check=True,
                                             capture_output=True, text=True).stdout.strip().splitlines()[-1])
        local = _build(work, "local", env)
        remote = _build(work, "ray", env, "--executor", "ray")
    return {"local": local, "ray": remote, "overhead": overhead, "load": os.getloadavg()[0]}


def write(found: dict) -> str:
    local, remote, over = found["local"], found["ray"], found["overhead"]
    lines = [f"`python benchmarks/ray_sweep.py` on {os.cpu_count()} CPU cores ({platform.machine()}), Python "
             f"{platform.python_version()}, backend {os.environ.get('KERAS_BACKEND', 'tensorflow')}, no GPU. Six MLPs on the "
             f"bundled digits (hidden widths {', '.join(map(str, WIDTHS))}; 10 epochs, batch 32), each a fresh "
             "`python -m reportgen report` with a cold cache; the Ray build starts its own local instance (2 CPUs, one task "
             f"per run, so two runs train at once). Load average of the machine when measured: {found['load']:.1f}.", "",
             "| build | wall seconds, start to results.json | process wall seconds | runs' fit seconds, summed |",
             "|---|---:|---:|---:|"]
    for name, build in (("`--executor local`", local), ("`--executor ray` (local instance)", remote)):
        lines.append(f"| {name} | {build['to_results']:.1f} | {build['wall']:.1f} | {build['fit']:.1f} |")
    lines += ["", "| Ray on its own (fresh process, local instance of 2 CPUs) | seconds |", "|---|---:|",
              f"| `import ray` | {over['import']:.2f} |",
              f"| `ray.init(num_cpus=2)`: start-up | {over['init']:.2f} |",
              f"| a no-op task's round trip on a warm worker (median of 50) | {over['task_ms'] / 1000:.4f} |",
              f"| a fresh worker's first task, importing Keras (as each training worker does once) | {over['keras_task']:.2f} |",
              f"| `ray.shutdown()` | {over['shutdown']:.2f} |",
              "", "| run | local fit seconds | Ray fit seconds | test accuracy (both) |", "|---|---:|---:|---:|"]
    for name, run in local["runs"].items():
        other = remote["runs"][name]
        same = "" if run["metrics"] == other["metrics"] else " (differs)"
        lines.append(f"| {name} | {run['seconds']:.1f} | {other['seconds']:.1f} | "
                     f"{100 * run['metrics']['test_accuracy']:.1f}%{same} |")
    startup = over["init"] + over["keras_task"]
    lines += ["", f"- Ray's fixed cost on this machine: about {startup:.0f} s before the first epoch (start-up "
              f"{over['init']:.1f} s, then {over['keras_task']:.1f} s for a worker to import Keras, which each worker does once; "
              f"the driver imports it too). Past that, a task costs {over['task_ms']:.1f} ms, nothing beside a run's training.",
              f"- On 2 CPU cores Ray cannot win: two runs train at once at about half speed each (fit seconds summed: local "
              f"{local['fit']:.0f}, Ray {remote['fit']:.0f}), so the build is {remote['to_results'] - local['to_results']:+.0f} s "
              "against the local executor. Ray pays where each task has a device of its own: on a cluster of N GPUs, N runs "
              "train at once (`num_gpus=1` per task), and the start-up is paid once per build.",
              "- Every run's metrics are equal in the two builds" if all(run["metrics"] == remote["runs"][name]["metrics"]
                                                                          for name, run in local["runs"].items())
              else "- Some runs' metrics differ between the two builds (marked above)",
              "  (tests/run/test_executors.py checks that whole results.json files agree, timings apart, on a smaller sweep)."]
    return write_section(SECTION, "\n".join(lines))


if __name__ == "__main__":
    print(write(measure()))
