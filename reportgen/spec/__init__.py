"""Experiment specs: YAML files -> frozen, validated spec objects (pure; never imports Keras)."""

from .load import load_spec
from .model import (
    BlockSpec,
    CallbackSpec,
    DatasetSpec,
    ExperimentSpec,
    FineTuneSpec,
    LayerSpec,
    ModelSpec,
    NodeSpec,
    QuickSpec,
    RunSpec,
    SectionSpec,
    TrainingSpec,
)

__all__ = [
    "BlockSpec",
    "CallbackSpec",
    "DatasetSpec",
    "ExperimentSpec",
    "FineTuneSpec",
    "LayerSpec",
    "ModelSpec",
    "NodeSpec",
    "QuickSpec",
    "RunSpec",
    "SectionSpec",
    "TrainingSpec",
    "load_spec",
]
