"""Results: the autoencoder experiments built at full scale on this machine's real data, timed, into RESULTS.md.

Run: python benchmarks/autoencoders.py [sat-pa3 i2dl-ex8 pw12-3]   (default: all three; each retrained with --force)
Each build is `python -m reportgen report NAME --force` (pw12: `--section 3`), timed from start-up to the PDF, on the
data the experiment files name: MNIST's 5,000-image sample and notMNIST's 10,000-image subset in ../shared/data (added to
REPORTGEN_DATA_PATH, where the files name them), and
the full Fashion-MNIST of the Debian package dataset-fashion-mnist. The numbers are read from each build's results.json.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from markdown_table import write_section  # noqa: E402

TARGET = ROOT / "RESULTS.md"
SHARED_DATA = ROOT.parent / "shared" / "data"  # mnist-5k/ and notmnist-10k/: the experiment files name them on REPORTGEN_DATA_PATH
BUILDS = {  # name -> (reportgen arguments, output folder)
    "sat-pa3": (["sat-pa3"], "build/sat-pa3"),
    "i2dl-ex8": (["i2dl-ex8"], "build/i2dl-ex8"),
    "pw12-3": (["pw12", "--section", "3"], "build/pw12-sections-3"),
}


def _data_path() -> str:
    """$REPORTGEN_DATA_PATH with ../shared/data after it."""
    return os.pathsep.join(p for p in (os.environ.get("REPORTGEN_DATA_PATH", ""), str(SHARED_DATA)) if p)


def build(name: str) -> tuple[float, dict]:
    args, out = BUILDS[name]
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "reportgen", "report", *args, "--force"], cwd=ROOT, check=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT), "REPORTGEN_DATA_PATH": _data_path()})
    seconds = time.perf_counter() - start
    return seconds, json.loads((ROOT / out / "results.json").read_text())["runs"]


def _pct(runs: dict, name: str) -> str:
    return f"{100 * runs[name]['metrics']['test_accuracy']:.2f}%"


def _record(runs: dict, name: str) -> dict:
    key = runs[name]["cache_key"]
    cache = Path(os.environ.get("REPORTGEN_CACHE", ROOT / "build" / "cache"))
    return json.loads((cache / key[:2] / key / "result.json").read_text())


def _trained(runs: dict) -> str:
    return ", ".join(f"{name} {run['seconds']:.0f} s" for name, run in runs.items())


def _head(name: str, seconds: float, runs: dict) -> list[str]:
    command = " ".join(["python -m reportgen report", *BUILDS[name][0], "--force"])
    return [f"`{command}` on {os.cpu_count()} CPU cores ({platform.machine()}), backend "
            f"{os.environ.get('KERAS_BACKEND', 'tensorflow')}: **{seconds / 60:.1f} min** wall time, start-up to PDF "
            f"(training and fitting: {_trained(runs)}).", ""]


def sat(seconds: float, runs: dict) -> str:
    lines = _head("sat-pa3", seconds, runs)
    data = {name: _record(runs, name)["dataset"] for name in ("m1", "m2")}
    lines += [f"M1 learnt from {data['m1']['n_train']:,} MNIST images (train + test of the 5,000-image sample); M2 and M3 "
              f"from {data['m2']['n_train']:,} Fashion-MNIST images, tested on {data['m2']['n_test']:,}.", "",
              "| | run | epochs | test accuracy |", "|---|---|---:|---:|",
              f"| P | m2 (MLP from scratch) | {runs['m2']['epochs']} | {_pct(runs, 'm2')} |",
              f"| P0 | m3 (M1's encoder + the same MLP, fine-tuned) | {runs['m3']['epochs']} | {_pct(runs, 'm3')} |",
              f"| | m3_scratch (M3's layers from scratch) | {runs['m3_scratch']['epochs']} | {_pct(runs, 'm3_scratch')} |",
              f"| approach 2 | dnn_scratch | {runs['dnn_scratch']['epochs']} | {_pct(runs, 'dnn_scratch')} |",
              f"| approach 2 | dnn_pretrained (the dense DAE's 3 layers) | {runs['dnn_pretrained']['epochs']} | "
              f"{_pct(runs, 'dnn_pretrained')} |", "",
              "| denoising autoencoder | PSNR noisy input (dB) | PSNR reconstruction (dB) | test MSE |", "|---|---:|---:|---:|"]
    for name in ("m1", "dense_dae"):
        m = runs[name]["metrics"]
        lines.append(f"| {name} | {m['noisy_psnr']:.1f} | {m['test_psnr']:.1f} | {m['test_mse']:.4f} |")
    return "\n".join(lines)


def i2dl(seconds: float, runs: dict) -> str:
    lines = _head("i2dl-ex8", seconds, runs)
    ae = _record(runs, "autoencoder")["dataset"]
    labels = _record(runs, "pretrained")["dataset"]["labels"]
    lines += [f"The autoencoder learnt from {ae['n_train']:,} MNIST training images without labels; every classifier from "
              f"{labels} labelled ones; all tested on {ae['n_test']:,}.", "",
              "| run | test accuracy |", "|---|---:|"]
    lines += [f"| {name} | {_pct(runs, name)} |" for name in ("pretrained", "scratch", "svm_codes", "svm_pixels")]
    lines += ["", f"Autoencoder: test MSE {runs['autoencoder']['metrics']['test_mse']:.4f}, "
                  f"PSNR {runs['autoencoder']['metrics']['test_psnr']:.1f} dB."]
    return "\n".join(lines)


def pw12(seconds: float, runs: dict) -> str:
    lines = _head("pw12-3", seconds, runs)
    code = _record(runs, "dense_ae")["code"]
    lines += ["| run | features | test accuracy | fit (s) |", "|---|---|---:|---:|"]
    for name in ("svm_codes", "svm_pixels"):
        features = _record(runs, name)["features"]
        lines.append(f"| {name} | {features['source']} ({features['size']}) | {_pct(runs, name)} | {runs[name]['seconds']:.1f} |")
    dense, conv = runs["dense_ae"]["metrics"], runs["conv_dae"]["metrics"]
    lines += ["", f"Dense autoencoder: code of {code['size']} values for {code['input_size']} pixels "
                  f"({code['input_size'] / code['size']:.1f}× fewer values, {code['input_bytes'] / code['bytes']:.1f}× fewer bytes as "
                  f"float32), test MSE {dense['test_mse']:.4f}, PSNR {dense['test_psnr']:.1f} dB. Convolutional denoising "
              f"autoencoder: PSNR {conv['noisy_psnr']:.1f} dB for the noisy input, {conv['test_psnr']:.1f} dB for its reconstruction."]
    return "\n".join(lines)


SECTIONS = {"sat-pa3": ("## SAT DL PA3: P against P0", sat), "i2dl-ex8": ("## I2DL ex. 8: pretrained against scratch, 300 labels", i2dl),
            "pw12-3": ("## PW12 ex. 3: SVM on codes against SVM on pixels", pw12)}


def main(names: list[str]) -> None:
    if not TARGET.exists():
        TARGET.write_text("# Results\n\nThe course sheets' comparisons, measured by `python benchmarks/autoencoders.py`; each section "
                          "says its command. The sheets' expectations and what these numbers say of them: see the end.\n")
    for name in names or list(BUILDS):
        seconds, runs = build(name)
        title, make = SECTIONS[name]
        print(write_section(title, make(seconds, runs), TARGET))


if __name__ == "__main__":
    main(sys.argv[1:])
