"""Models: ModelSpec -> keras.Model (imports Keras; never on the render path)."""

from .build import ModelError, build_model, count_params_by_layer

__all__ = ["ModelError", "build_model", "count_params_by_layer"]
