"""make_weight_images: a dense layer's kernel as one image per class, normalised per colour channel."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from ..errors import RenderError
from ._style import SMALL, WIDTH, new_figure

__all__ = ["make_weight_images", "normalise_per_channel"]

_MID_GREY = 128  # what a constant channel shows: it carries no information either way


def normalise_per_channel(image: np.ndarray) -> np.ndarray:
    """Min-max scale each channel of an (H, W) or (H, W, C) image to 0..255 on its own, as uint8."""
    data = np.asarray(image, dtype=np.float64)
    if data.ndim not in (2, 3):
        raise RenderError(f"expected an image of shape (H, W) or (H, W, C). Received shape {data.shape}")
    planes = data[..., np.newaxis] if data.ndim == 2 else data
    out = np.empty(planes.shape, dtype=np.uint8)
    for c in range(planes.shape[-1]):
        plane = planes[..., c]
        low, high = plane.min(), plane.max()
        if not (np.isfinite(low) and np.isfinite(high)):
            raise RenderError("weights contain NaN or infinite values; did training diverge?")
        if high > low:
            out[..., c] = np.rint((plane - low) * (255.0 / (high - low))).astype(np.uint8)
        else:
            out[..., c] = _MID_GREY
    return out[..., 0] if data.ndim == 2 else out


def make_weight_images(kernel: np.ndarray, image_shape: Sequence[int], class_names: Sequence[str], columns: int | None = None) -> Figure:
    """Column k of a (prod(image_shape), K) kernel, reshaped to the input image, titled class_names[k]."""
    kernel = np.asarray(kernel)
    shape = tuple(int(d) for d in image_shape)
    _check(kernel, shape, class_names, columns)
    n = kernel.shape[1]
    cols = columns or _columns(n)
    rows = math.ceil(n / cols)
    height, width = shape[0], shape[1]
    cell = min(WIDTH / cols, 1.3)
    title_size = SMALL if cols <= 6 else max(6.5, SMALL - 0.25 * (cols - 6))
    fig = new_figure(cell * cols, rows * (cell * height / width + 0.22))
    fig.get_layout_engine().set(w_pad=0.02, h_pad=0.02, wspace=0.04, hspace=0.04)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for k, ax in enumerate(axes):
        if k >= n:
            ax.remove()
            continue
        image = normalise_per_channel(kernel[:, k].reshape(shape))
        if image.ndim == 3 and image.shape[-1] == 1:
            image = image[..., 0]
        if image.ndim == 2:
            ax.imshow(image, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
        else:
            ax.imshow(image, interpolation="nearest")
        ax.set_title(str(class_names[k]), fontsize=title_size, pad=3)
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
    return fig


def _columns(n: int) -> int:
    """Balanced rows of at most 6 images (10 per row past 24 classes): 10 -> 5x2, 8 -> 4x2, 100 -> 10x10."""
    widest = 6 if n <= 24 else 10
    return math.ceil(n / math.ceil(n / widest))


def _check(kernel: np.ndarray, shape: tuple[int, ...], class_names: Sequence[str], columns: int | None) -> None:
    if kernel.ndim != 2:
        raise RenderError(f"weights figure: expected a dense kernel of shape (inputs, classes). Received shape {kernel.shape}")
    if len(shape) not in (2, 3) or (len(shape) == 3 and shape[2] not in (1, 3)) or min(shape) < 1:
        raise RenderError(f"weights figure: expected an image shape (H, W), (H, W, 1) or (H, W, 3). Received {list(shape)}")
    needed = math.prod(shape)
    if kernel.shape[0] != needed:
        raise RenderError(f"weights figure: kernel has {kernel.shape[0]} rows but an image of shape "
                          f"{'x'.join(map(str, shape))} has {needed} values")
    if len(class_names) != kernel.shape[1]:
        raise RenderError(f"weights figure: kernel has {kernel.shape[1]} units but {len(class_names)} class names were given")
    if columns is not None and (not isinstance(columns, int) or columns < 1):
        raise RenderError(f"weights figure: expected a positive integer. Received: columns={columns!r}")
    if kernel.shape[1] == 0:
        raise RenderError("weights figure: the kernel has no units")
