"""Convolutions by hand (PW04 exercise 1): zero padding, output sizes and values, as Keras computes them."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..spec.convolution import Conv1DExercise, Conv2DExercise

__all__ = ["conv1d", "conv2d", "output_size", "preserving_setting", "solve_conv1d", "solve_conv2d"]


def output_size(n: int, f: int, stride: int, padding: int) -> int:
    """floor((N - F + 2P) / S) + 1: positions of a size-F window on N inputs padded by P, moved by S."""
    return (n - f + 2 * padding) // stride + 1


def conv1d(x: np.ndarray, kernel: np.ndarray, bias: float, stride: int, padding: int) -> np.ndarray:
    """Cross-correlation (what Conv1D computes) of a zero-padded 1D input."""
    padded = np.pad(np.asarray(x, dtype=float), padding)
    f = len(kernel)
    n = output_size(len(x), f, stride, padding)
    return np.array([padded[i * stride:i * stride + f] @ np.asarray(kernel, dtype=float) + bias for i in range(n)])


def conv2d(volume: np.ndarray, filters: np.ndarray, biases: np.ndarray, stride: int, padding: int) -> np.ndarray:
    """volume (C, H, W), filters (K, C, kh, kw) -> outputs (K, Ho, Wo), as Conv2D computes them."""
    volume = np.asarray(volume, dtype=float)
    filters = np.asarray(filters, dtype=float)
    padded = np.pad(volume, ((0, 0), (padding, padding), (padding, padding)))
    _, kh, kw = filters.shape[1:]
    ho = output_size(volume.shape[1], kh, stride, padding)
    wo = output_size(volume.shape[2], kw, stride, padding)
    out = np.empty((len(filters), ho, wo))
    for k, weights in enumerate(filters):
        for i in range(ho):
            for j in range(wo):
                window = padded[:, i * stride:i * stride + kh, j * stride:j * stride + kw]
                out[k, i, j] = float(np.sum(window * weights)) + biases[k]
    return out


def preserving_setting(kernel: int) -> dict[str, int]:
    """A filter size, padding and stride that keep the spatial size: S=1 and P=(F-1)/2 for an odd F."""
    f = kernel if kernel % 2 == 1 else kernel + 1
    return {"filter": f, "padding": (f - 1) // 2, "stride": 1}


def solve_conv1d(ex: Conv1DExercise) -> dict[str, Any]:
    """Every (S, P) case: padded input, output size and values, and whether the size is kept."""
    n = len(ex.input)
    cases = []
    for stride, padding in ex.cases:
        output = conv1d(np.array(ex.input), np.array(ex.kernel), ex.bias, stride, padding)
        cases.append({
            "stride": stride,
            "padding": padding,
            "padded": np.pad(np.asarray(ex.input, dtype=float), padding).tolist(),
            "size": output_size(n, len(ex.kernel), stride, padding),
            "output": output.tolist(),
            "same_size": len(output) == n,
        })
    return {"n": n, "f": len(ex.kernel), "input": list(ex.input), "kernel": list(ex.kernel), "bias": ex.bias, "cases": cases}


def solve_conv2d(ex: Conv2DExercise) -> dict[str, Any]:
    """Number of maps, output volumes, a size-preserving setting, and the output values."""
    volume = np.array(ex.input, dtype=float)
    filters = np.array(ex.filters, dtype=float)
    c, h, w = volume.shape
    kh, kw = filters.shape[2:]
    k = len(filters)
    sizes = [{"stride": s, "padding": p, "volume": [output_size(h, kh, s, p), output_size(w, kw, s, p), k]} for s, p in ex.sizes]
    stride, padding = ex.values
    keep = preserving_setting(kh)
    return {
        "input_shape": [h, w, c],
        "filter_shape": [kh, kw, c],
        "maps": k,
        "sizes": sizes,
        "preserve": {**keep, "volume": [output_size(h, keep["filter"], keep["stride"], keep["padding"]),
                                        output_size(w, keep["filter"], keep["stride"], keep["padding"]), k]},
        "values": {
            "stride": stride,
            "padding": padding,
            "padded": np.pad(volume, ((0, 0), (padding, padding), (padding, padding))).tolist(),
            "outputs": conv2d(volume, filters, np.array(ex.biases, dtype=float), stride, padding).tolist(),
        },
    }
