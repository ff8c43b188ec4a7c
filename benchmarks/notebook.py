"""Benchmark: exporting and executing the notebook (`reportgen notebook`), and its RETRAIN = True beside a forced build.

Run: python benchmarks/notebook.py   (writes its section of BENCHMARKS.md; pw12 quick on the suite's tiny data)
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
SECTION = "## The notebook: export, execute, retrain (CPU)"
sys.path.insert(0, str(ROOT / "tests"))


def _timed(args: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def _retrain(notebook: Path, env: dict[str, str]) -> float:
    """Execute a copy of the notebook with RETRAIN = True and no exported weights: every run trains."""
    import nbformat

    copy = Path(tempfile.mkdtemp()) / notebook.name
    book = nbformat.read(notebook, as_version=4)
    setup = next(c for c in book.cells if "RETRAIN = False" in c.source)
    setup.source = setup.source.replace("RETRAIN = False", "RETRAIN = True")
    nbformat.write(book, copy)
    jupyter = Path(sys.executable).with_name("jupyter")
    seconds = _timed([str(jupyter), "nbconvert", "--to", "notebook", "--execute", "--inplace",
                      "--ExecutePreprocessor.timeout=3600", copy.name], copy.parent, env)
    shutil.rmtree(copy.parent)
    return seconds


def measure() -> list[tuple[str, float]]:
    from background_builds import FOOD20, NOTMNIST_COPY, pw12_environment
    from datafiles import write_cifar10_archive, write_food101, write_idx_dataset
    from weightfiles import write_imagenet_weights

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copytree(ROOT / "experiments", work / "experiments")
        env = {**os.environ, "PYTHONPATH": str(ROOT), "REPORTGEN_CACHE": str(work / "cache")}
        cli = [sys.executable, "-m", "reportgen"]
        rows = []
        _timed([*cli, "report", "demo"], work, env)
        rows.append(("demo: `report demo --force` (train 9 runs, render)", _timed([*cli, "report", "demo", "--force"], work, env)))
        rows.append(("demo: `notebook demo` (report up to date; export, execute with the exported weights)",
                     _timed([*cli, "notebook", "demo"], work, env)))
        rows.append(("demo: the notebook with RETRAIN = True (execute, every run trained)", _retrain(work / "build" / "demo" / "demo.ipynb", env)))
        _timed([*cli, "report", "demo", "--quick"], work, env)
        rows.append(("demo quick: `notebook demo --quick` (report up to date)", _timed([*cli, "notebook", "demo", "--quick"], work, env)))
        data = work / "pw12"
        write_idx_dataset(data / "letters" / NOTMNIST_COPY, n_train=400, n_test=200)
        write_cifar10_archive(data / "data", n_train_per_class=12, n_test_per_class=4)
        write_food101(data / "data", FOOD20, train_per_class=3, test_per_class=2)
        write_imagenet_weights(data / "data", "MobileNetV2", input_shape=(128, 128, 3))
        write_imagenet_weights(data / "data" / "models", "EfficientNetB0", input_shape=(128, 128, 3))
        env12 = {**env, **pw12_environment(data)}
        _timed([*cli, "report", "pw12", "--quick"], work, env12)
        rows.append(("pw12 quick (tiny data): `notebook pw12 --quick` (report up to date)",
                     _timed([*cli, "notebook", "pw12", "--quick"], work, env12)))
    return rows


def write(rows: list[tuple[str, float]]) -> str:
    cpu = platform.processor() or platform.machine()
    lines = [f"`python benchmarks/notebook.py` on {os.cpu_count()} CPU cores ({cpu}), Python {platform.python_version()}, "
             f"Keras backend {os.environ.get('KERAS_BACKEND', 'tensorflow')}. Wall time, start-up included; `notebook` "
             "writes the notebook and each run's weights, then executes it with nbclient (goals: under 30 s for the "
             "demo's; RETRAIN = True within 1.1x of the forced build).", "", "| step | seconds |", "|---|---:|"]
    lines += [f"| {name} | {seconds:.1f} |" for name, seconds in rows]
    force = dict(rows)["demo: `report demo --force` (train 9 runs, render)"]
    retrain = dict(rows)["demo: the notebook with RETRAIN = True (execute, every run trained)"]
    lines += ["", f"RETRAIN = True over `report demo --force`: {retrain / force:.2f}x."]
    return write_section(SECTION, "\n".join(lines))


if __name__ == "__main__":
    print(write(measure()))
