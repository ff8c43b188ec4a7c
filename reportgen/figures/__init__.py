"""Figures: makers that turn run results into matplotlib Figures, a registry of YAML kinds, and saving."""

from .activations import make_activations, panel_arrays
from .confusion import make_confusion
from .curves import make_curves
from .filters import filter_images, make_filters
from .registry import FIGURES
from .save import save_drawing, save_figure
from .weights import make_weight_images, normalise_per_channel

__all__ = ["FIGURES", "filter_images", "make_activations", "make_confusion", "make_curves", "make_filters", "make_weight_images",
           "normalise_per_channel", "panel_arrays", "save_drawing", "save_figure"]
