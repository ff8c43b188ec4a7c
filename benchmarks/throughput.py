"""Benchmark: training throughput of reportgen's runner vs a plain model.fit (and a PyTorch loop where torch exists).

Run: python benchmarks/throughput.py [--steps N] [--models cnn1,vgg]   (writes its table into BENCHMARKS.md)
Data are synthetic CIFAR-shaped uint8 images, so the numbers measure speed only.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import sys

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from markdown_table import write_section  # noqa: E402
from reportgen.quiet import import_keras  # noqa: E402
from reportgen.run.environment import backend_name  # noqa: E402

SECTION = f"## Training throughput ({backend_name()})"
MODELS = {"cnn1": ("pw04", "PW04 simple CNN"), "vgg": ("pw09", "PW09 VGG-like")}
STEPS = {"cnn1": 150, "vgg": 15}  # timed steps: a few seconds of work each, so fit()'s own set-up does not count


def _spec(model: str):
    from reportgen.spec import load_spec

    experiment, _ = MODELS[model]
    spec = load_spec(ROOT / "experiments" / f"{experiment}.yaml")
    return spec.runs[model], spec.datasets[spec.runs[model].dataset]


def forward_flops(model) -> int:
    """Multiply-adds x 2 of one image's forward pass: Conv2D and Dense layers (the rest is negligible)."""
    flops = 0
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "Conv2D":
            kh, kw, cin, cout = layer.kernel.shape
            _, ho, wo, _ = layer.output.shape
            flops += 2 * kh * kw * cin * cout * ho * wo
        elif kind == "Dense":
            n_in, n_out = layer.kernel.shape
            flops += 2 * n_in * n_out
    return int(flops)


def _data(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(n, 32, 32, 3), dtype=np.uint8), rng.integers(0, 10, size=n)


def _time_fit(model, x, y, batch: int, steps: int) -> float:
    """Seconds per step over `steps` steps, after one warm-up epoch that compiles."""
    n = batch * steps
    model.fit(x[:n], y[:n], batch_size=batch, epochs=1, verbose=0)
    start = time.perf_counter()
    model.fit(x[:n], y[:n], batch_size=batch, epochs=1, verbose=0)
    return (time.perf_counter() - start) / steps


def reportgen_runner(name: str, batch: int, steps: int) -> tuple[float, int]:
    """The model as reportgen builds and compiles it: uint8 in, scaled inside the graph."""
    keras = import_keras()
    from reportgen.run.train import compile_options
    from reportgen.model import build_model

    run, dataset = _spec(name)
    keras.utils.set_random_seed(0)
    model = build_model(run.model, dataset, (32, 32, 3), 255)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"], **compile_options(batch))
    x, labels = _data(batch * steps)
    y = keras.utils.to_categorical(labels, 10).astype("float32")
    return _time_fit(model, x, y, batch, steps), forward_flops(model)


def plain_fit(name: str, batch: int, steps: int) -> float:
    """What a student writes: float32 pixels divided by 255 in numpy, a Sequential model, Keras defaults."""
    keras = import_keras()
    from reportgen.model.build import make_layer

    run, dataset = _spec(name)
    keras.utils.set_random_seed(0)
    layers = [keras.Input((32, 32, 3))] + [make_layer(layer) for layer in run.model.layers]
    model = keras.Sequential(layers)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    x, labels = _data(batch * steps)
    y = keras.utils.to_categorical(labels, 10)
    return _time_fit(model, x.astype("float32") / 255.0, y, batch, steps)


def matmul_peak() -> float:
    """FLOP/s of a large float32 matrix product on this device (the peak the table compares against)."""
    keras = import_keras()
    ops = keras.ops
    a = ops.convert_to_tensor(np.random.default_rng(0).standard_normal((2048, 2048), dtype=np.float32))
    ops.convert_to_numpy(ops.matmul(a, a))
    start, repeats = time.perf_counter(), 10
    for _ in range(repeats):
        c = ops.matmul(a, a)
    ops.convert_to_numpy(c)
    return 2 * 2048**3 * repeats / (time.perf_counter() - start)


def measure(models: list[str], batches: list[int], steps: int | None) -> tuple[list[str], float]:
    peak = matmul_peak()
    rows = []
    for name in models:
        for batch in batches:
            n_steps = steps or STEPS[name]
            ours, flops = reportgen_runner(name, batch, n_steps)
            plain = plain_fit(name, batch, n_steps)
            train_flops = 3 * flops  # forward, and about twice that backward
            for who, seconds in (("reportgen runner", ours), ("plain model.fit", plain)):
                images = batch / seconds
                rows.append(f"| {MODELS[name][1]} | {batch} | {who} | {images:,.0f} | {1000 * seconds:.1f} | "
                            f"{plain / seconds:.2f}x | {flops / 1e6:.1f} | {100 * images * train_flops / peak:.1f}% |")
            rows.append(f"| {MODELS[name][1]} | {batch} | PyTorch loop | not run: {_torch_missing()} | | | | |")
    return rows, peak


def _torch_missing() -> str:
    import importlib.util

    return "torch is not installed on this machine" if importlib.util.find_spec("torch") is None else "no GPU here (the loop targets CUDA)"


def write(rows: list[str], peak: float, command: str) -> str:
    device = f"{os.cpu_count()} CPU cores ({platform.machine()}), backend {backend_name()}"
    lines = [f"`{command}` on {device}; synthetic CIFAR-shaped data. Peak: a 2048x2048 float32 matmul ran at "
             f"{peak / 1e9:.0f} GFLOP/s; % of peak counts 3x the forward FLOPs per image. No GPU was lent to this work, so the "
             "GPU rows and the bf16 peak are missing.", "",
             "| model | batch | trainer | images/s | ms/step | vs plain fit | forward MFLOP/image | % of peak |",
             "|---|---:|---|---:|---:|---:|---:|---:|", *rows]
    return write_section(SECTION, "\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", default="cnn1,vgg")
    parser.add_argument("--batches", default="128,512")
    parser.add_argument("--steps", type=int, default=None, help="timed steps per measurement (default: per model)")
    args = parser.parse_args()
    rows, peak = measure(args.models.split(","), [int(b) for b in args.batches.split(",")], args.steps)
    command = f"KERAS_BACKEND={backend_name()} python benchmarks/throughput.py " + " ".join(f"--{k} {v}" for k, v in vars(args).items() if v is not None)
    print(write(rows, peak, command))


if __name__ == "__main__":
    main()
