"""Benchmark: training throughput of reportgen's runner vs a plain model.fit and a hand-written PyTorch loop.

Run: KERAS_BACKEND=tensorflow python benchmarks/throughput.py [--models cnn1,vgg] [--batches 128,256,512]
(writes its table into BENCHMARKS.md). Data are synthetic CIFAR-shaped uint8 images: the numbers measure speed only.
Every figure is the median of three timed passes after a warm-up pass that compiles.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path
from collections.abc import Callable

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from markdown_table import write_section  # noqa: E402
from reportgen.quiet import import_keras  # noqa: E402
from reportgen.run.environment import backend_name  # noqa: E402

MODELS = {"cnn1": ("pw04", "PW04 simple CNN"), "vgg": ("pw09", "PW09 VGG-like")}
IMAGES_PER_PASS = {"cnn1": 20_000, "vgg": 1_536}  # a few seconds of CPU work per timed pass
REPEATS = 3
HAS_TORCH = importlib.util.find_spec("torch") is not None


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


def _time_fit(model, x, y, batch: int) -> float:
    """Median seconds per step of REPEATS epochs over x, after a first epoch that compiles."""
    keras = import_keras()
    times: list[float] = []

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)

    model.fit(x, y, batch_size=batch, epochs=1 + REPEATS, verbose=0, shuffle=True, callbacks=[EpochTimer()])
    return float(np.median(times[1:])) / (len(x) // batch)


def _steps(name: str, batch: int) -> int:
    return max(2, IMAGES_PER_PASS[name] // batch)


def _runner_model(name: str, batch: int, precision: str):
    """The model as reportgen's runner builds and compiles it (train.compiled_model): uint8 in, scaled in the graph."""
    import_keras()
    from reportgen.run.train import compiled_model

    run, dataset = _spec(name)
    training = replace(run.training, batch_size=batch, precision=precision)
    return compiled_model(replace(run, training=training), dataset, (32, 32, 3), 255)


def runner(name: str, batch: int, precision: str) -> float:
    keras = import_keras()
    model = _runner_model(name, batch, precision)
    x, labels = _data(batch * _steps(name, batch))
    return _time_fit(model, x, keras.utils.to_categorical(labels, 10).astype("float32"), batch)


def facts(name: str) -> dict[str, int]:
    """Forward FLOPs per image and trainable parameters of the runner's model (built, not trained)."""
    model = _runner_model(name, 128, "float32")
    return {"flops": forward_flops(model), "params": sum(int(np.prod(w.shape)) for w in model.trainable_weights)}


def plain_fit(name: str, batch: int) -> float:
    """What a student writes: float32 pixels divided by 255 in numpy, a Sequential model, Keras defaults."""
    keras = import_keras()
    from reportgen.model.build import make_layer

    run, _ = _spec(name)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((32, 32, 3))] + [make_layer(layer) for layer in run.model.layers])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    x, labels = _data(batch * _steps(name, batch))
    return _time_fit(model, x.astype("float32") / 255.0, keras.utils.to_categorical(labels, 10), batch)


def torch_loop(name: str, batch: int) -> float:
    import torch_loop as loop

    x, labels = _data(batch * _steps(name, batch))
    return loop.seconds_per_step(name, x, labels, batch, _steps(name, batch), REPEATS)


def matmul_peak(dtype: str, size: int = 4096, repeats: int = 10) -> float:
    """FLOP/s of a large matrix product in `dtype` on the Keras backend's device."""
    keras = import_keras()
    ops = keras.ops
    a = ops.convert_to_tensor(np.random.default_rng(0).standard_normal((size, size), dtype=np.float32), dtype=dtype)
    ops.convert_to_numpy(ops.cast(ops.sum(ops.matmul(a, a)), "float32"))
    start = time.perf_counter()
    c = a
    for _ in range(repeats):
        c = ops.matmul(a, a)
    ops.convert_to_numpy(ops.cast(ops.sum(c), "float32"))  # waits for the last product
    return 2 * size**3 * repeats / (time.perf_counter() - start)


def device_name() -> str:
    keras = import_keras()
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        dev = jax.devices()[0]
        if dev.platform != "cpu":
            return dev.device_kind
    if backend == "torch":
        import torch

        if torch.cuda.is_available():
            return torch.cuda.get_device_name(0)
    if backend == "tensorflow":
        import tensorflow as tf

        if tf.config.list_physical_devices("GPU"):
            return "GPU " + tf.config.experimental.get_device_details(tf.config.list_physical_devices("GPU")[0]).get("device_name", "")
    return f"{os.cpu_count()} CPU cores ({platform.machine()})"


TRAINERS: dict[str, Callable[[str, int], float]] = {
    "reportgen runner, float32": lambda name, batch: runner(name, batch, "float32"),
    "reportgen runner, mixed_bfloat16": lambda name, batch: runner(name, batch, "mixed_bfloat16"),
    "plain model.fit": plain_fit,
    "PyTorch loop (bf16 autocast, channels_last, compile)": torch_loop,
}


def measure(models: list[str], batches: list[int]) -> tuple[list[dict], dict[str, float]]:
    """One record per (model, batch, trainer), and the matrix-product peaks."""
    peaks = {"float32": matmul_peak("float32"), "bfloat16": matmul_peak("bfloat16")}
    trainers = dict(TRAINERS)
    if HAS_TORCH:
        import torch_loop as loop

        peaks["bfloat16 (torch)"] = loop.bf16_matmul_peak()
    else:
        trainers = {who: trainer for who, trainer in trainers.items() if not who.startswith("PyTorch")}
    runner("cnn1", 128, "float32")  # discarded: a process's first training runs up to 1.5x slower (thread pools, allocator)
    records: list[dict] = []
    for name in models:
        known = facts(name)
        if HAS_TORCH:
            assert loop.params(name) == known["params"], f"the PyTorch {name} is not the Keras one: {loop.params(name)} vs {known['params']} parameters"
        for batch in batches:
            for who, trainer in trainers.items():
                print(f"{name} batch {batch}: {who} ...", flush=True)
                records.append({"model": name, "batch": batch, "who": who, "seconds": trainer(name, batch), **known})
    return records, peaks


def _rows(records: list[dict], peak: float) -> list[str]:
    rows = []
    for r in records:
        same = {x["who"]: x["seconds"] for x in records if (x["model"], x["batch"]) == (r["model"], r["batch"])}
        torch_s = next((v for k, v in same.items() if k.startswith("PyTorch")), None)
        images = r["batch"] / r["seconds"]
        vs_torch = f"{torch_s / r['seconds']:.2f}x" if torch_s else "no torch"
        rows.append(f"| {MODELS[r['model']][1]} | {r['batch']} | {r['who']} | {images:,.0f} | {1000 * r['seconds']:.1f} | "
                    f"{same['plain model.fit'] / r['seconds']:.2f}x | {vs_torch} | "
                    f"{r['flops'] / 1e6:.1f} | {100 * images * 3 * r['flops'] / peak:.1f}% |")
    return rows


def _fastest(records: list[dict]) -> list[str]:
    best: dict[tuple[str, str], dict] = {}
    for r in records:
        key = (r["model"], r["who"])
        if key not in best or r["batch"] / r["seconds"] > best[key]["batch"] / best[key]["seconds"]:
            best[key] = r
    return [f"| {MODELS[m][1]} | {who} | {r['batch']} | {r['batch'] / r['seconds']:,.0f} |" for (m, who), r in best.items()]


def write(records: list[dict], peaks: dict[str, float], command: str, where: str) -> str:
    peak = max(v for k, v in peaks.items() if k.startswith("bfloat16"))
    measured = ", ".join(f"{k} {v / 1e9:,.0f} GFLOP/s" for k, v in peaks.items())
    lines = [f"`{command}` on {where}, Keras backend {backend_name()}; synthetic CIFAR-shaped data; median of {REPEATS} timed "
             f"passes after a compiling one. Matrix-product peaks measured (4096x4096): {measured}; "
             "% of peak is 3x the forward FLOPs per image (forward + backward) times images/s over the best bf16 peak.", "",
             "| model | batch | trainer | images/s | ms/step | vs plain fit | vs PyTorch | forward MFLOP/image | % of bf16 peak |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|", *_rows(records, peak), "",
             "Fastest batch size measured, per trainer:", "",
             "| model | trainer | batch | images/s |", "|---|---|---:|---:|", *_fastest(records)]
    return write_section(f"## Training throughput ({backend_name()}, {where})", "\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", default="cnn1,vgg")
    parser.add_argument("--batches", default="128,512")
    args = parser.parse_args()
    where = device_name()
    records, peaks = measure(args.models.split(","), [int(b) for b in args.batches.split(",")])
    command = f"KERAS_BACKEND={backend_name()} python benchmarks/throughput.py --models {args.models} --batches {args.batches}"
    print(write(records, peaks, command, where))


if __name__ == "__main__":
    main()
