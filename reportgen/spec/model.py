"""Frozen spec objects: what an experiment file declares, validated and with defaults filled in."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .convolution import ConvolutionSpec

__all__ = [
    "BlockSpec",
    "CallbackSpec",
    "DatasetSpec",
    "ExperimentSpec",
    "LayerSpec",
    "ModelSpec",
    "QuickSpec",
    "RunSpec",
    "SectionSpec",
    "TrainingSpec",
]


@dataclass(frozen=True)
class LayerSpec:
    """One Keras layer: its class name and config arguments (as Keras serialises it)."""

    kind: str
    args: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str | None:
        return self.args.get("name")


@dataclass(frozen=True)
class ModelSpec:
    """A stack of layers applied to the dataset's input; `structure` keeps repeat blocks as written."""

    layers: tuple[LayerSpec, ...]
    structure: tuple[Any, ...] = ()  # LayerSpec | blocks.RepeatSpec, for the architecture notation

    def __post_init__(self) -> None:
        if not self.structure:
            object.__setattr__(self, "structure", self.layers)


@dataclass(frozen=True)
class CallbackSpec:
    """A Keras callback by class name with its arguments."""

    kind: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TrainingSpec:
    """How a run trains: optimizer, loss, metrics, epochs, batches, validation, seed, callbacks."""

    optimizer: str = "adam"
    optimizer_args: dict[str, Any] = field(default_factory=dict)
    learning_rate: float = 0.001
    loss: str = "categorical_crossentropy"
    metrics: tuple[str, ...] = ("accuracy",)
    epochs: int = 5
    batch_size: int = 128
    validation: str | float = "test"  # "test", "none" or a fraction of the training set
    seed: int = 0
    callbacks: tuple[CallbackSpec, ...] = ()
    precision: str = "float32"  # or "mixed_bfloat16" (GPUs, CPUs with bf16 units): part of the run's identity


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset source with its options and preprocessing."""

    name: str
    source: str
    options: dict[str, Any] = field(default_factory=dict)
    scale: bool = True  # divide pixels by the source's maximum value, inside the model
    flatten: bool = False  # flatten images to vectors, inside the model
    labels: str = "one_hot"  # or "sparse"


@dataclass(frozen=True)
class RunSpec:
    """One training run: a model on a dataset with training settings."""

    name: str
    dataset: str
    model: ModelSpec
    training: TrainingSpec
    title: str | None = None
    subset: tuple[int, int] | None = None  # (train, test) sizes of a stratified subset, quick profile
    sweep: dict[str, Any] = field(default_factory=dict)  # the sweep values that made this run

    def canonical(self, dataset: DatasetSpec) -> dict[str, Any]:
        """Everything that decides this run's result, as plain JSON data (names and titles excluded)."""
        data = asdict(dataset)
        del data["name"]  # the data's identity is its fingerprint, not where it lies on this machine
        data["options"] = {k: v for k, v in data["options"].items() if k != "path"}
        return {
            "dataset": data,
            "model": {"layers": [asdict(layer) for layer in self.model.layers]},  # as built, however it was written
            "training": asdict(self.training),
            "subset": list(self.subset) if self.subset else None,
        }


@dataclass(frozen=True)
class BlockSpec:
    """One item of a report section: markdown text, a results table or a figure."""

    kind: str  # "text", "table" or "figure"
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SectionSpec:
    """A report section: a title and its blocks in order."""

    title: str
    blocks: tuple[BlockSpec, ...] = ()


@dataclass(frozen=True)
class QuickSpec:
    """The smoke-build profile: a stratified subset and few epochs."""

    train: int = 1000
    test: int = 500
    epochs: int = 1


@dataclass(frozen=True)
class ExperimentSpec:
    """A whole experiment file."""

    name: str
    file: str
    title: str
    course: str = ""
    pw: str = ""
    authors: tuple[str, ...] = ()
    group: str = ""
    date: str | None = None
    datasets: dict[str, DatasetSpec] = field(default_factory=dict)
    runs: dict[str, RunSpec] = field(default_factory=dict)
    quick: QuickSpec = QuickSpec()
    convolution: ConvolutionSpec | None = None
    sections: tuple[SectionSpec, ...] = ()
    profile: str = "full"

    def with_precision(self, precision: str) -> "ExperimentSpec":
        """Every run trained at this precision (e.g. mixed_bfloat16 on a GPU); it enters each run's cache key."""
        runs = {name: replace(run, training=replace(run.training, precision=precision)) for name, run in self.runs.items()}
        return replace(self, runs=runs)

    def with_profile(self, profile: str) -> "ExperimentSpec":
        """This experiment under 'full' or 'quick' (subset and capped epochs for every run)."""
        if profile == "full":
            return replace(self, profile="full")
        q = self.quick
        runs = {
            name: replace(run, subset=(q.train, q.test), training=replace(run.training, epochs=min(run.training.epochs, q.epochs)))
            for name, run in self.runs.items()
        }
        return replace(self, runs=runs, profile="quick")
