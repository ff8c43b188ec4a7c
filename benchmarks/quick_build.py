"""Benchmark: wall time of `reportgen report pw12 --quick` on CPU, offline, cold cache then cached re-render.

Run: python benchmarks/quick_build.py   (writes its table into BENCHMARKS.md)
CIFAR-10 and Food-101 cannot be downloaded here: a CIFAR-10 archive of 1,000 + 500 images and a Food-101 folder of
22 classes x (50 + 20) JPEGs (the experiment takes the first 20) are written in the official formats, and the ImageNet
weights of MobileNetV2 and EfficientNetB0 are stand-ins (each backbone's own random weights under Keras' file name).
The quick profile then trains every run on (up to) 1,000 / 500 images for one epoch per phase.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from markdown_table import write_section  # noqa: E402
from tests.datafiles import write_cifar10_archive, write_food101  # noqa: E402

SECTION = "## Quick pw12 build (CPU)"
SHARED_DATA = ROOT.parent / "shared" / "data"  # notmnist-10k/ for exercise 3: pw12.yaml names it on REPORTGEN_DATA_PATH


def _data(folder: Path) -> None:
    from weightfiles import write_imagenet_weights

    write_cifar10_archive(folder, n_train_per_class=100, n_test_per_class=50)
    write_food101(folder, [f"dish_{i:02d}" for i in range(22)], train_per_class=50, test_per_class=20, size=(160, 200))
    write_imagenet_weights(folder, "MobileNetV2", input_shape=(128, 128, 3))
    write_imagenet_weights(folder, "EfficientNetB0", input_shape=(128, 128, 3))


def measure() -> tuple[list[tuple[str, float]], dict]:
    with tempfile.TemporaryDirectory(prefix="reportgen-pw12-") as tmp:
        work = Path(tmp)
        subprocess.run([sys.executable, __file__, "--write-data", str(work / "data")], check=True, cwd=ROOT)
        data_path = os.pathsep.join([str(work / "data"), str(SHARED_DATA)])  # stand-ins, then the real notMNIST subset
        env = {**os.environ, "PYTHONPATH": str(ROOT), "REPORTGEN_DATA_PATH": data_path, "KERAS_HOME": str(work / "keras"),
               "REPORTGEN_DECODED": str(work / "decoded"), "REPORTGEN_CACHE": str(work / "cache")}
        report = [sys.executable, "-m", "reportgen", "report", "pw12", "--quick", "--out", str(work / "out")]
        rows = []
        for step in ("cold build: decode Food-101, train 7 runs, render", "unchanged rebuild"):
            start = time.perf_counter()
            subprocess.run(report, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            rows.append((step, time.perf_counter() - start))
        results = json.loads((work / "out" / "results.json").read_text())["runs"]
    return rows, results


def write(rows: list[tuple[str, float]], results: dict) -> str:
    lines = [f"`python benchmarks/quick_build.py` on {os.cpu_count()} CPU cores ({platform.machine()}), backend "
             f"{os.environ.get('KERAS_BACKEND', 'tensorflow')}; stand-in data and weights (see the script). Wall time of "
             "`python -m reportgen report pw12 --quick`, start-up included.", "", "| step | seconds |", "|---|---:|"]
    lines += [f"| {name} | {seconds:.1f} |" for name, seconds in rows]
    lines += ["", "| run | train / test images | epochs | fit seconds |", "|---|---:|---:|---:|"]
    lines += [f"| {name} | {run['n_train']} / {run['n_test']} | {run['epochs']} | {run['seconds']:.1f} |" for name, run in results.items()]
    return write_section(SECTION, "\n".join(lines))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--write-data":
        _data(Path(sys.argv[2]))
    else:
        print(write(*measure()))
