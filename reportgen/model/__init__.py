"""Models: ModelSpec -> keras.Model (imports Keras; never on the render path)."""

from .build import ModelError, build_model, count_params_by_layer
from .inherit import Parent, base_of, copy_layers, parent_model
from .submodels import decoder, encoder

__all__ = ["ModelError", "Parent", "base_of", "build_model", "copy_layers", "count_params_by_layer", "decoder", "encoder",
           "parent_model"]
