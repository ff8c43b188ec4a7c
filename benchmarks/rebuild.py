"""Benchmark: wall time of a cold demo build, an unchanged rebuild, a re-render and a one-run retrain.

Run: python benchmarks/rebuild.py   (writes the table into BENCHMARKS.md)
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from markdown_table import write_section

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Build and rebuild times (demo)"


def _timed(args: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def measure() -> list[tuple[str, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copytree(ROOT / "experiments", work / "experiments")
        shutil.copytree(ROOT / "templates", work / "templates")
        env = {**os.environ, "PYTHONPATH": str(ROOT), "REPORTGEN_TEMPLATES": str(work / "templates"), "REPORTGEN_CACHE": str(work / "cache")}
        report = [sys.executable, "-m", "reportgen", "report", "demo"]
        rows = [("python start-up (`python -c pass`)", _timed([sys.executable, "-c", "pass"], work, env))]
        rows.append(("cold build: train 5 runs, render", _timed(report, work, env)))
        rows.append(("unchanged rebuild", min(_timed(report, work, env) for _ in range(3))))
        css = work / "templates" / "report.css"
        css.write_text(css.read_text() + "\n/* edited */\n")
        rows.append(("re-render after a template edit (all runs cached)", _timed(report, work, env)))
        spec = work / "experiments" / "demo.yaml"
        edited = spec.read_text().replace("    training:\n      callbacks:", "    training:\n      epochs: 12\n      callbacks:", 1)
        assert edited != spec.read_text(), "demo.yaml changed shape: update this benchmark"
        spec.write_text(edited)
        rows.append(("one run's epochs changed: retrain it, re-render", _timed(report, work, env)))
    return rows


def write(rows: list[tuple[str, float]]) -> str:
    cpu = platform.processor() or platform.machine()
    lines = [f"`python benchmarks/rebuild.py` on {os.cpu_count()} CPU cores ({cpu}), Python {platform.python_version()}, "
             f"Keras backend {os.environ.get('KERAS_BACKEND', 'tensorflow')}. Wall time of `python -m reportgen report demo`, "
             "start-up included.", "", "| step | seconds |", "|---|---:|"]
    lines += [f"| {name} | {seconds:.2f} |" for name, seconds in rows]
    return write_section(SECTION, "\n".join(lines))


if __name__ == "__main__":
    print(write(measure()))
