"""Seeded Gaussian noise for denoising autoencoders: added to the inputs only, clipped to the valid range."""

from __future__ import annotations

import numpy as np

__all__ = ["add_noise"]


def add_noise(images: np.ndarray, factor: float, max_value: int, seed: int, stream: int) -> np.ndarray:
    """uint8 images + factor * max_value * N(0, 1), clipped to 0..max_value and rounded back to uint8 (as the sheets:
    x + factor * N(0, 1) on [0, 1] pixels, clipped; here kept in 8 bits, like a saved image). `stream` separates the
    train (0) and test (1) noise of one seed."""
    rng = np.random.default_rng([seed, stream])
    noisy = images.astype(np.float32) + np.float32(factor * max_value) * rng.standard_normal(images.shape, dtype=np.float32)
    return np.clip(np.rint(noisy), 0, max_value).astype(np.uint8)
