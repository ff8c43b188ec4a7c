"""Job: everything one run's trainer receives (picklable specs and arrays; no cache, no UI object but progress)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..data import Dataset
from ..spec import DatasetSpec, RunSpec

if TYPE_CHECKING:  # model.inherit imports Keras; a Job is made before Keras is
    from ..model import Parent

__all__ = ["Job"]


@dataclass(frozen=True)
class Job:
    """One run to train: its spec, its dataset's spec and prepared data, its parents' trained weights."""

    run: RunSpec
    dataset: DatasetSpec
    data: Dataset
    progress: Any  # run.progress.TrainingProgress: start/step/end_epoch events
    workdir: Path
    base: Path | None = None  # the experiment's folder (weights files)
    parents: dict[str, "Parent"] = field(default_factory=dict)
