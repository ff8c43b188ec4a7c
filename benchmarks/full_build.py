"""Benchmark: wall time of a full-scale build (all runs, full epochs, cold cache), on CIFAR-10 or CIFAR-shaped data.

Run: python benchmarks/full_build.py [--experiment pw04] [--mixed-precision]   (writes its table into BENCHMARKS.md)
Where CIFAR-10 is not on this machine, a synthetic archive of the same size and format (50,000 + 10,000 images
of class-dependent stripes, written by the tests' writer) stands in for it, and the table says so.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from markdown_table import write_section  # noqa: E402
from reportgen.data import locate  # noqa: E402
from reportgen.run.environment import backend_name  # noqa: E402
from reportgen.spec import load_spec  # noqa: E402
from tests.datafiles import write_cifar10_archive  # noqa: E402

SHARED_DATA = ROOT.parent / "shared" / "data"


def _data_path(work: Path) -> tuple[dict[str, str], str]:
    """Environment additions that make CIFAR-10 (or its stand-in) findable, and the data's description."""
    if locate("cifar10").files:
        return {}, "CIFAR-10"
    data = work / "data"
    write_cifar10_archive(data, n_train_per_class=5000, n_test_per_class=1000)
    return ({"REPORTGEN_DATA_PATH": str(data), "KERAS_HOME": str(work / "keras")},
            "synthetic CIFAR-shaped data (CIFAR-10 is absent here; 50,000 + 10,000 images, accuracies are not CIFAR-10's)")


def measure(experiment: str, extra: list[str]) -> tuple[float, dict, str]:
    with tempfile.TemporaryDirectory(prefix="reportgen-full-") as tmp:
        work = Path(tmp)
        additions, data = _data_path(work)
        env = {**os.environ, **additions, "PYTHONPATH": str(ROOT)}
        # the real data subsets that experiment files name on REPORTGEN_DATA_PATH (pw12's notmnist-10k/) lie in ../shared/data
        env["REPORTGEN_DATA_PATH"] = os.pathsep.join(p for p in (env.get("REPORTGEN_DATA_PATH", ""), str(SHARED_DATA)) if p)
        args = [sys.executable, "-m", "reportgen", "report", experiment, "--out", str(work / "out"), "--cache", str(work / "cache"), *extra]
        start = time.perf_counter()
        subprocess.run(args, cwd=ROOT, env=env, check=True)  # progress goes to this terminal
        seconds = time.perf_counter() - start
        results = json.loads((work / "out" / "results.json").read_text())
        key = next(iter(results["runs"].values()))["cache_key"]
        devices = json.loads(next((work / "cache").glob(f"??/{key}/result.json")).read_text())["manifest"]["devices"]
        return seconds, results, f"{data}; trained on {', '.join(devices)}"


def write(experiment: str, seconds: float, results: dict, data: str, command: str) -> str:
    spec = load_spec(ROOT / "experiments" / f"{experiment}.yaml")
    runs = results["runs"]
    rows = [f"| {name} | {run['epochs']} of {spec.runs[name].training.epochs} | {run['seconds']:.0f} | {run['metrics']['test_accuracy']:.1%} |"
            for name, run in runs.items()]
    training = sum(run["seconds"] for run in runs.values())
    lines = [f"`{command}` on a machine with {os.cpu_count()} CPU cores ({platform.machine()}), backend {backend_name()}; {data}. "
             f"Cold cache: every run trains. Whole build, start-up to PDF: **{seconds / 60:.1f} min** "
             f"({training / 60:.1f} min of it in `fit`; the rest loads data, evaluates, draws and renders).", "",
             "| run | epochs run (of declared) | fit seconds | test accuracy |", "|---|---:|---:|---:|", *rows]
    return write_section(f"## Full-scale {experiment} build ({backend_name()})", "\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--experiment", default="pw04")
    parser.add_argument("--mixed-precision", action="store_true")
    args = parser.parse_args()
    extra = ["--mixed-precision"] if args.mixed_precision else []
    seconds, results, data = measure(args.experiment, extra)
    command = f"KERAS_BACKEND={backend_name()} python benchmarks/full_build.py --experiment {args.experiment}" + " --mixed-precision" * args.mixed_precision
    print(write(args.experiment, seconds, results, data, command))


if __name__ == "__main__":
    main()
