"""make_activations: one input image and, per layer, every channel of that layer's output as a small map."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..errors import RenderError
from ._style import SMALL, WIDTH

__all__ = ["make_activations", "panel_arrays"]

_CMAP = "viridis"
_MAX_CELL = 1.0  # inches: a layer of 4 channels stays a row of thumbnails
_INPUT = 0.8  # inches: about the width of the input image, which sits on the panel grid
_GAP = 0.035  # inches between panels, across and down
_HEADING = 0.19  # inches above a grid for its title
_GROUP = 0.1  # inches of white between one grid and the next title
_PAD = 3.5  # points from a grid's top to its title's baseline


def make_activations(image: np.ndarray, maps: Mapping[str, np.ndarray], columns: int | None = None) -> Figure:
    """The input image, titled "input", then per layer a titled grid with one viridis panel per channel.

    `maps` is ordered {layer name: output of shape (h, w, channels)} (a leading batch axis of 1 is dropped); each
    grid is titled "name (hxwxchannels)". Every panel has its own colour scale, the channel's min..max (a constant
    channel, e.g. a dead ReLU, is uniformly dark): maps of very different magnitudes all stay visible. All layers
    share one column count (`columns`, default 16 past 16 channels) so panels have one size and channel c sits at
    the same place in every grid; each panel's axes carry the gid "layer:channel" (see `panel_arrays`).
    """
    picture = _input_image(image)
    layers = _check_maps(maps)
    if columns is not None and (isinstance(columns, bool) or not isinstance(columns, int) or columns < 1):
        raise RenderError(f"activations figure: expected a positive integer. Received: columns={columns!r}")
    cols = columns or _columns(max(m.shape[2] for m in layers.values()))
    cell = min((WIDTH - (cols - 1) * _GAP) / cols, _MAX_CELL)
    span = min(cols, max(1, round(_INPUT / cell)))
    input_size = (span * cell + (span - 1) * _GAP) * np.array([picture.shape[0] / picture.shape[1], 1.0])
    grids = {name: (math.ceil(m.shape[2] / cols), cell * m.shape[0] / m.shape[1]) for name, m in layers.items()}
    height = _HEADING + input_size[0] + sum(_GROUP + _HEADING + rows * h + (rows - 1) * _GAP for rows, h in grids.values())
    # Laid out by hand, in inches from the top left: one panel size, equal gaps, no layout solver over ~100 axes.
    fig = Figure(figsize=(cols * cell + (cols - 1) * _GAP, height))
    y = _HEADING
    _draw_input(_place(fig, 0.0, y, input_size[1], input_size[0]), picture)
    y += input_size[0]
    for name, activation in layers.items():
        rows, panel = grids[name]
        y += _GROUP + _HEADING
        fig.text(0.0, 1 - (y - _PAD / 72) / height, f"{name} ({'x'.join(map(str, activation.shape))})",
                 fontsize=SMALL, ha="left", va="baseline")
        for c in range(activation.shape[2]):
            row, col = divmod(c, cols)
            ax = _place(fig, col * (cell + _GAP), y + row * (panel + _GAP), cell, panel)
            _draw_panel(ax, activation[..., c], f"{name}:{c}")
        y += rows * panel + (rows - 1) * _GAP
    return fig


def panel_arrays(fig: Figure) -> dict[str, list[np.ndarray]]:
    """Per layer name, in drawing order, the array drawn in each channel's panel (channel 0 first)."""
    found: dict[str, list[tuple[int, np.ndarray]]] = {}
    for ax in fig.get_axes():
        layer, _, channel = (ax.get_gid() or "").rpartition(":")
        if layer and channel.isdigit() and ax.get_images():
            found.setdefault(layer, []).append((int(channel), np.asarray(ax.get_images()[0].get_array())))
    return {layer: [array for _, array in sorted(panels, key=lambda p: p[0])] for layer, panels in found.items()}


def _columns(channels: int) -> int:
    """One row up to 8 channels, 8 columns up to 16, then 16 (32 channels -> 2 rows of 1 cm maps)."""
    return channels if channels <= 8 else 8 if channels <= 16 else 16


def _place(fig: Figure, x: float, y: float, width: float, height: float) -> Axes:
    """Axes at x inches from the left and y inches from the top of fig."""
    fig_width, fig_height = fig.get_size_inches()
    return fig.add_axes((x / fig_width, 1 - (y + height) / fig_height, width / fig_width, height / fig_height))


def _draw_input(ax: Axes, picture: np.ndarray) -> None:
    if picture.ndim == 2:
        ax.imshow(picture, cmap="gray", vmin=0, vmax=255, interpolation="nearest", aspect="auto")
    else:
        ax.imshow(picture, interpolation="nearest", aspect="auto")
    ax.set_gid("input")
    ax.set_title("input", fontsize=SMALL, loc="left", pad=_PAD)
    _bare(ax)


def _draw_panel(ax: Axes, plane: np.ndarray, gid: str) -> None:
    ax.imshow(plane, cmap=_CMAP, vmin=float(plane.min()), vmax=float(plane.max()), interpolation="nearest", aspect="auto")
    ax.set_gid(gid)
    _bare(ax)


def _bare(ax: Axes) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def _input_image(image: np.ndarray) -> np.ndarray:
    """(H, W) or (H, W, 1) -> grey (H, W); (H, W, 3) -> RGB; always uint8 0..255.

    uint8 is drawn as given; floats in 0..1 are scaled by 255, other numbers in 0..255 rounded, others min-max scaled.
    """
    data = np.asarray(image)
    if data.ndim == 3 and data.shape[2] == 1:
        data = data[..., 0]
    if data.ndim not in (2, 3) or (data.ndim == 3 and data.shape[2] != 3) or data.size == 0:
        raise RenderError(f"activations figure: expected an input image of shape (H, W), (H, W, 1) or (H, W, 3). "
                          f"Received shape {np.shape(image)}")
    if data.dtype == np.uint8:
        return data
    if not _real(data) or not np.all(np.isfinite(data)):
        raise RenderError(f"activations figure: the input image must hold finite real numbers. Received dtype {data.dtype}")
    values = data.astype(np.float64)
    low, high = values.min(), values.max()
    if low >= 0 and high <= 1 and np.issubdtype(data.dtype, np.floating):
        values = values * 255.0
    elif not (low >= 0 and high <= 255):
        values = (values - low) * (255.0 / (high - low)) if high > low else np.full(values.shape, 128.0)
    return np.rint(values).astype(np.uint8)


def _check_maps(maps: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    if not maps:
        raise RenderError("activations figure: no layers to show")
    checked = {}
    for name, activation in maps.items():
        data = np.asarray(activation)
        if data.ndim == 4 and data.shape[0] == 1:
            data = data[0]  # a Keras output for a batch of one image
        if data.ndim != 3 or min(data.shape) < 1:
            raise RenderError(f"activations figure: layer '{name}' has output shape {np.shape(activation)}; expected "
                              "activation maps of shape (h, w, channels), from a convolution, activation or pooling layer")
        if not _real(data) or not np.all(np.isfinite(data)):
            raise RenderError(f"activations figure: the output of layer '{name}' holds NaN, infinite or non-numeric values")
        checked[str(name)] = data
    return checked


def _real(data: np.ndarray) -> bool:
    return np.issubdtype(data.dtype, np.number) and not np.issubdtype(data.dtype, np.complexfloating)
