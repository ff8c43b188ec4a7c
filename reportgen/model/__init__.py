"""Models: ModelSpec -> keras.Model (imports Keras; never on the render path)."""

from .build import build_model, count_params_by_layer

__all__ = ["build_model", "count_params_by_layer"]
