"""The baseline a PyTorch user would write by hand: the PW04 simple CNN and PW09 VGG-like net, bf16 autocast,
channels_last, torch.compile, uint8 data kept on the device (used by throughput.py; needs torch)."""

from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["NETS", "bf16_matmul_peak", "device", "params", "seconds_per_step"]


def simple_cnn() -> nn.Module:
    """PW04 cnn1: CONV 32 3x3 same; RELU; MAXPOOL 2; DENSE 10."""
    return nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 16 * 16, 10))


def vgg_like() -> nn.Module:
    """PW09 vgg: [[CONV 64 3x3 same; RELU; BN] x3; MAXPOOL 2; DROPOUT 0.2] x4; DENSE 256 relu; DROPOUT 0.2; DENSE 10."""
    layers: list[nn.Module] = []
    channels = 3
    for _ in range(4):
        for _ in range(3):
            layers += [nn.Conv2d(channels, 64, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(64, eps=1e-3, momentum=0.01)]
            channels = 64
        layers += [nn.MaxPool2d(2), nn.Dropout(0.2)]
    layers += [nn.Flatten(), nn.Linear(64 * 2 * 2, 256), nn.ReLU(), nn.Dropout(0.2), nn.Linear(256, 10)]
    return nn.Sequential(*layers)


NETS = {"cnn1": simple_cnn, "vgg": vgg_like}


def device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def params(name: str) -> int:
    return sum(p.numel() for p in NETS[name]().parameters())


def _sync(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize()


def seconds_per_step(name: str, images: np.ndarray, labels: np.ndarray, batch: int, steps: int, repeats: int = 3) -> float:
    """Median seconds per Adam step over `repeats` timed passes of `steps` batches, after a compiling warm-up pass."""
    dev = device()
    torch.manual_seed(0)
    model = NETS[name]().to(dev, memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    compiled = torch.compile(model)
    x_all = torch.from_numpy(images).to(dev)  # (N, 32, 32, 3) uint8: the NHWC bytes are channels_last already
    y_all = torch.from_numpy(labels.astype(np.int64)).to(dev)

    def step(index: torch.Tensor) -> None:
        x = x_all[index].permute(0, 3, 1, 2).float().div_(255.0)  # NCHW view of NHWC memory: channels_last
        with torch.autocast(dev.type, dtype=torch.bfloat16):
            loss = F.cross_entropy(compiled(x), y_all[index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    def one_pass() -> float:
        order = torch.randperm(len(x_all), device=dev)
        _sync(dev)
        start = time.perf_counter()
        for i in range(steps):
            step(order[i * batch:(i + 1) * batch])
        _sync(dev)
        return (time.perf_counter() - start) / steps

    model.train()
    one_pass()  # compiles
    return float(np.median([one_pass() for _ in range(repeats)]))


def bf16_matmul_peak(size: int = 4096, repeats: int = 10) -> float:
    """FLOP/s of a large bf16 matrix product on torch's device."""
    dev = device()
    a = torch.randn(size, size, device=dev, dtype=torch.bfloat16)
    a @ a
    _sync(dev)
    start = time.perf_counter()
    for _ in range(repeats):
        c = a @ a
    _sync(dev)
    del c
    return 2 * size**3 * repeats / (time.perf_counter() - start)
