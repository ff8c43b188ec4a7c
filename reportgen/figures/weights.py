"""make_weight_images: a dense layer's kernel as one image per class, with a colour bar saying what the colours mean."""

# Grey-scale inputs: every class on ONE symmetric diverging scale (red positive, blue negative, white 0). Colour inputs:
# each colour channel of each class's image min-max scaled to 0..255 on its own (the sheets' "normalised per channel"),
# with a key of the three channel ramps (dark: the channel's lowest weight in that image, full colour: its highest).

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colorbar import Colorbar
from matplotlib.colors import ListedColormap, Normalize
from matplotlib.figure import Figure

from ..errors import RenderError
from ._style import SMALL, TINY, WIDTH, new_figure

__all__ = ["DIVERGING", "channel_key", "colour_bar", "make_weight_images", "normalise_per_channel"]

_MID_GREY = 128  # what a constant channel shows: it carries no information either way
DIVERGING = "RdBu_r"  # signed weights on a symmetric scale: red positive, white 0, blue negative
_KEY_HEIGHT = 0.5  # inches a colour bar with its ticks and label adds below a grid of panels
_RAMP = 256  # steps per channel ramp of the colour key


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
    """Column k of a (prod(image_shape), K) kernel, reshaped to the input image, titled class_names[k].

    A grey-scale image (H, W) or (H, W, 1) shows the weights themselves in `DIVERGING` colours on one scale shared by all
    classes, -m..m with m the largest |weight|, and a colour bar gives that scale. An (H, W, 3) image shows each colour
    channel min-max scaled on its own (`normalise_per_channel`), and a colour key says what dark and full colour mean.
    """
    kernel = np.asarray(kernel)
    shape = tuple(int(d) for d in image_shape)
    _check(kernel, shape, class_names, columns)
    n = kernel.shape[1]
    cols = columns or _columns(n)
    rows = math.ceil(n / cols)
    height, width = shape[0], shape[1]
    cell = min(WIDTH / cols, 1.3)
    title_size = SMALL if cols <= 6 else max(6.5, SMALL - 0.25 * (cols - 6))
    fig = new_figure(cell * cols, rows * (cell * height / width + 0.22) + _KEY_HEIGHT)
    fig.get_layout_engine().set(w_pad=0.02, h_pad=0.02, wspace=0.04, hspace=0.04)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    grey = len(shape) == 2 or shape[2] == 1
    limit = float(np.abs(kernel).max()) if kernel.size else 0.0
    if not np.isfinite(limit):
        raise RenderError("weights contain NaN or infinite values; did training diverge?")
    limit = limit or 1.0
    drawn = None
    for k, ax in enumerate(axes):
        if k >= n:
            ax.remove()
            continue
        if grey:
            drawn = ax.imshow(kernel[:, k].reshape(shape[:2]).astype(np.float64), cmap=DIVERGING, vmin=-limit, vmax=limit,
                              interpolation="nearest")
        else:
            ax.imshow(normalise_per_channel(kernel[:, k].reshape(shape)), interpolation="nearest")
        ax.set_title(str(class_names[k]), fontsize=title_size, pad=3)
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
    shown = axes[:n].tolist()
    if grey:
        colour_bar(fig, shown, drawn, cell * cols, "weight (red: positive, blue: negative, white: 0), one scale for all classes")
    else:
        channel_key(fig, shown, cell * cols, "each channel of each image on its own scale: dark = its lowest weight, "
                                             "full colour = its highest")
    return fig


def colour_bar(fig: Figure, axes: list[Axes], mappable: ScalarMappable, width: float, label: str) -> Colorbar:
    """A horizontal colour bar under `axes` (a grid `width` inches wide), at most 3 inches long, in tiny type; its axes
    carry the gid "colorbar"."""
    bar = fig.colorbar(mappable, ax=axes, location="bottom", shrink=min(0.6, 3.0 / width), aspect=30, pad=0.02)
    bar.ax.set_gid("colorbar")
    bar.ax.tick_params(labelsize=TINY)
    bar.outline.set_visible(False)
    bar.set_label(label, fontsize=TINY)
    return bar


def channel_key(fig: Figure, axes: list[Axes], width: float, label: str) -> Colorbar:
    """The colour bar of RGB images whose channels are each scaled 0..255 on their own: three ramps, black to pure red,
    green and blue, named under the bar (the values of one image are not comparable with another's)."""
    ramp = np.linspace(0.0, 1.0, _RAMP)
    colours = np.zeros((3 * _RAMP, 4))
    colours[:, 3] = 1.0
    for c in range(3):
        colours[c * _RAMP:(c + 1) * _RAMP, c] = ramp
    mappable = ScalarMappable(norm=Normalize(0.0, 3.0), cmap=ListedColormap(colours, name="channel ramps"))
    bar = colour_bar(fig, axes, mappable, width, label)
    bar.set_ticks([0.5, 1.5, 2.5], labels=["red 0..255", "green 0..255", "blue 0..255"])
    bar.ax.tick_params(length=0)
    return bar


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
