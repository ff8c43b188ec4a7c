"""Frozen spec objects: what an experiment file declares, validated and with defaults filled in."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .convolution import ConvolutionSpec
from .grading import GradingSpec

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
    "TASKS",
    "TrainingSpec",
]

TASKS = ("classify", "reconstruct")  # what a Keras run fits; a run with `estimator:` fits a scikit-learn estimator


@dataclass(frozen=True)
class LayerSpec:
    """One Keras layer: its class name and config arguments (as Keras serialises it)."""

    kind: str
    args: dict[str, Any] = field(default_factory=dict)
    where: str = field(default="", compare=False, repr=False)  # "FILE:LINE:COL: yaml.path", for located build errors

    @property
    def name(self) -> str | None:
        return self.args.get("name")

    def canonical(self) -> dict[str, Any]:
        """What decides the layer: its class and arguments (not where it was written)."""
        return {"kind": self.kind, "args": self.args}


@dataclass(frozen=True)
class NodeSpec:
    """A named node of a model graph: a chain of layers applied to the outputs of named nodes (or 'input')."""

    name: str
    inputs: tuple[str, ...]
    layers: tuple[LayerSpec, ...]
    structure: tuple[Any, ...] = ()  # as written, with repeat blocks
    where: str = field(default="", compare=False, repr=False)

    def canonical(self) -> dict[str, Any]:
        return {"name": self.name, "inputs": list(self.inputs), "layers": [layer.canonical() for layer in self.layers]}


@dataclass(frozen=True)
class ModelSpec:
    """A stack of layers applied to the dataset's input, or a graph of named nodes (Keras' functional API).

    `layers` is every layer in order (a graph's nodes one after the other); `structure` keeps a stack's
    repeat blocks as written; `graph` holds a graph's nodes in an order where inputs come first."""

    layers: tuple[LayerSpec, ...]
    structure: tuple[Any, ...] = ()  # LayerSpec | blocks.RepeatSpec, for the architecture notation
    graph: tuple[NodeSpec, ...] = ()
    output: str | None = None  # the graph node whose output is the model's

    def __post_init__(self) -> None:
        if not self.structure:
            object.__setattr__(self, "structure", self.layers)

    @property
    def is_graph(self) -> bool:
        return bool(self.graph)

    def canonical(self) -> dict[str, Any]:
        """The model as built, however it was written (repeat blocks unrolled)."""
        model: dict[str, Any] = {"layers": [layer.canonical() for layer in self.layers]}
        if self.graph:
            model.update(graph=[node.canonical() for node in self.graph], output=self.output)
        return model


@dataclass(frozen=True)
class CallbackSpec:
    """A Keras callback by class name with its arguments."""

    kind: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FineTuneSpec:
    """The second phase of transfer learning: unfreeze the top `layers` of each backbone, train on at a lower rate."""

    layers: int | None  # None: every layer of the backbone or inherited base
    epochs: int
    learning_rate: float = 1e-5


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
    validation: str | float = 0.1  # a seeded, stratified fraction held out of the training set; "test" or "none"
    seed: int = 0
    callbacks: tuple[CallbackSpec, ...] = ()
    precision: str = "float32"  # or "mixed_bfloat16" (GPUs, CPUs with bf16 units): part of the run's identity
    fine_tune: FineTuneSpec | None = None  # a second phase after `epochs` with the backbone's top layers unfrozen

    def canonical(self) -> dict[str, Any]:
        """What decides the training (a run without fine-tuning keeps the key it had before that option existed)."""
        data = asdict(self)
        if self.fine_tune is None:
            del data["fine_tune"]
        return data

    @property
    def test_selection(self) -> tuple[str, ...]:
        """The callbacks that choose by the test set (with `validation: test`): an EarlyStopping that restores its best
        weights, a ModelCheckpoint that keeps the best, a ReduceLROnPlateau, each monitoring a val_ metric. The test
        numbers of such a run are not held out: the test set picked them."""
        if self.validation != "test":
            return ()
        selecting = {"EarlyStopping": lambda a: a.get("restore_best_weights", False),
                     "ModelCheckpoint": lambda a: a.get("save_best_only", False), "ReduceLROnPlateau": lambda a: True}
        return tuple(c.kind for c in self.callbacks if c.kind in selecting and selecting[c.kind](c.args)
                     and str(c.args.get("monitor", "val_loss")).startswith("val_"))

    @property
    def total_epochs(self) -> int:
        return self.epochs + (self.fine_tune.epochs if self.fine_tune else 0)


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset source with its options and preprocessing."""

    name: str
    source: str
    options: dict[str, Any] = field(default_factory=dict)
    scale: bool = True  # divide pixels by the source's maximum value, inside the model
    flatten: bool = False  # flatten images to vectors, inside the model
    labels: str = "one_hot"  # or "sparse"
    where: str = field(default="", compare=False, repr=False)  # FILE:LINE:COL: datasets.NAME, for the data's own errors
    looked_in: tuple[str, str] = field(default=("", ""), compare=False, repr=False)  # a `path:` as written; where it was looked for


@dataclass(frozen=True)
class StartSpec:
    """Where a run's weights start: another run's trained model up to a layer (a base the model is put on), or
    another run's weights copied into the same-named layers; frozen or trainable."""

    run: str
    upto: str | None = None  # the parent's model from its input up to this layer becomes the base
    layers: tuple[str, ...] = ()  # or: these layers' weights are copied into the child's layers of the same name
    trainable: bool = True
    where: str = field(default="", compare=False, repr=False)

    def canonical(self) -> dict[str, Any]:
        return {"upto": self.upto, "layers": list(self.layers), "trainable": self.trainable}


@dataclass(frozen=True)
class EstimatorSpec:
    """A scikit-learn estimator by class name with its arguments."""

    kind: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FeaturesSpec:
    """What an estimator is fitted on: the scaled pixels, or the output of a layer of another run's trained model."""

    run: str | None = None  # None: the pixels
    layer: str | None = None
    where: str = field(default="", compare=False, repr=False)

    def canonical(self) -> dict[str, Any]:
        return {"layer": self.layer} if self.run else {"pixels": True}


@dataclass(frozen=True)
class RunSpec:
    """One run: a model trained on a dataset (to classify or to reconstruct its images), or a scikit-learn
    estimator fitted on pixels or on another run's codes."""

    name: str
    dataset: str
    model: ModelSpec
    training: TrainingSpec
    title: str | None = None
    subset: tuple[int, int] | None = None  # (train, test) sizes of a stratified subset: its dataset's `subset:`, or quick
    sweep: dict[str, Any] = field(default_factory=dict)  # the sweep values that made this run
    task: str = "classify"  # or "reconstruct": an autoencoder whose target is its own (clean) input
    code: str | None = None  # reconstruct: the layer whose output is the code (encoder = input .. code)
    noise: float | None = None  # reconstruct: Gaussian noise of this factor (of the value range) on the inputs only
    pool: tuple[str, ...] = ("train",)  # the splits whose images a reconstruct run trains on
    labels: int | None = None  # a labelled budget: a seeded, stratified subset of the training labels
    start: StartSpec | None = None  # weights from another run
    estimator: EstimatorSpec | None = None
    features: FeaturesSpec | None = None
    seeds: tuple[int, ...] = ()  # seed replicates: the run trained once per seed (its training.seed replaced); () once

    @property
    def replicate_seeds(self) -> tuple[int, ...]:
        """The seeds the run trains with, the first one first: its `seeds`, or its `training.seed` alone."""
        return self.seeds or (self.training.seed,)

    def replicate(self, seed: int) -> "RunSpec":
        """The run as trained with one seed: a single run whose training.seed is that seed (and whose key it has)."""
        return replace(self, training=replace(self.training, seed=seed), seeds=())

    @property
    def kind(self) -> str:
        """What the run fits: 'classify', 'reconstruct' or 'estimator' (the runner dispatches on it)."""
        return "estimator" if self.estimator else self.task

    def parents(self) -> tuple[str, ...]:
        """The runs whose results this run starts from (trained first; their keys are part of this run's)."""
        names = [self.start.run if self.start else None, self.features.run if self.features else None]
        return tuple(dict.fromkeys(n for n in names if n))

    def canonical(self, dataset: DatasetSpec) -> dict[str, Any]:
        """Everything that decides this run's result, as plain JSON data (names and titles excluded; options a
        plain classifier does not use are left out, so its key is the one it had before they existed)."""
        data = asdict(dataset)
        for name in ("name", "where", "looked_in"):  # the data's identity is its fingerprint, not where it lies on this machine
            del data[name]
        data["options"] = {k: v for k, v in data["options"].items() if k != "path"}
        out: dict[str, Any] = {"dataset": data, "subset": list(self.subset) if self.subset else None}
        if self.estimator:
            out.update(estimator={"kind": self.estimator.kind, "args": self.estimator.args},
                       features=(self.features or FeaturesSpec()).canonical(), seed=self.training.seed)
        else:
            out.update(model=self.model.canonical(), training=self.training.canonical())
        extra = {"task": self.task if self.task != "classify" else None, "code": self.code, "noise": self.noise,
                 "pool": list(self.pool) if self.pool != ("train",) else None, "labels": self.labels,
                 "start": self.start.canonical() if self.start else None}
        out.update({k: v for k, v in extra.items() if v is not None})
        return out


@dataclass(frozen=True)
class BlockSpec:
    """One item of a report section: markdown text, a results table or a figure."""

    kind: str  # "text", "table" or "figure"
    options: dict[str, Any] = field(default_factory=dict)
    where: str = field(default="", compare=False, repr=False)  # FILE:LINE:COL: report.sections[i].content[j]


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
    selected: tuple[str, ...] = ()  # a partial build: the sections chosen ("3. Autoencoders"); empty: all of them
    grading: GradingSpec | None = None  # a reference's grading rules (verify, grade); a student's own block is ignored there

    def with_precision(self, precision: str) -> "ExperimentSpec":
        """Every run trained at this precision (e.g. mixed_bfloat16 on a GPU); it enters each run's cache key."""
        runs = {name: replace(run, training=replace(run.training, precision=precision)) for name, run in self.runs.items()}
        return replace(self, runs=runs)

    def with_profile(self, profile: str) -> "ExperimentSpec":
        """This experiment under 'full' or 'quick' (subset and capped epochs for every run)."""
        if profile == "full":
            return replace(self, profile="full")
        q = self.quick
        runs = {name: replace(run, subset=_smaller(run.subset, (q.train, q.test)), training=_quick_training(run.training, q.epochs))
                for name, run in self.runs.items()}
        return replace(self, runs=runs, profile="quick")


def _smaller(subset: tuple[int, int] | None, quick: tuple[int, int]) -> tuple[int, int]:
    """A dataset's own subset, cut further to the quick profile's sizes."""
    return quick if subset is None else (min(subset[0], quick[0]), min(subset[1], quick[1]))


def _quick_training(training: TrainingSpec, epochs: int) -> TrainingSpec:
    """Every phase capped at the quick profile's epochs."""
    fine = training.fine_tune and replace(training.fine_tune, epochs=min(training.fine_tune.epochs, epochs))
    return replace(training, epochs=min(training.epochs, epochs), fine_tune=fine)
