"""Figures: makers that turn run results into matplotlib Figures, a registry of YAML kinds, and saving."""

from .confusion import make_confusion
from .curves import make_curves
from .registry import FIGURES
from .save import save_figure
from .weights import make_weight_images, normalise_per_channel

__all__ = ["FIGURES", "make_confusion", "make_curves", "make_weight_images", "normalise_per_channel", "save_figure"]
