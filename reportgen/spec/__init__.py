"""Experiment specs: YAML files -> frozen, validated spec objects (pure; never imports Keras)."""

from .load import load_spec
from .select import select_sections
from .model import (
    BlockSpec,
    CallbackSpec,
    DatasetSpec,
    EstimatorSpec,
    ExperimentSpec,
    FeaturesSpec,
    FineTuneSpec,
    LayerSpec,
    ModelSpec,
    NodeSpec,
    QuickSpec,
    RunSpec,
    SectionSpec,
    StartSpec,
    TrainingSpec,
)

__all__ = [
    "BlockSpec",
    "CallbackSpec",
    "DatasetSpec",
    "EstimatorSpec",
    "ExperimentSpec",
    "FeaturesSpec",
    "FineTuneSpec",
    "LayerSpec",
    "ModelSpec",
    "NodeSpec",
    "QuickSpec",
    "RunSpec",
    "SectionSpec",
    "StartSpec",
    "TrainingSpec",
    "load_spec",
    "select_sections",
]
