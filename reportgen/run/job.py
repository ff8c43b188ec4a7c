"""Job: everything one run's trainer receives (specs, arrays, its parents' weights, an event sink; no cache, no UI)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..data import Dataset
from ..spec import DatasetSpec, RunSpec
from .events import Emit

if TYPE_CHECKING:  # model.inherit imports Keras; a Job is made before Keras is
    from ..model import Parent

__all__ = ["Job"]


@dataclass(frozen=True)
class Job:
    """One run to train: its spec, its dataset's spec and prepared data, its parents' trained weights."""

    run: RunSpec
    dataset: DatasetSpec
    data: Dataset
    emit: Emit  # progress events (run.events); the CLI draws them
    workdir: Path
    base: Path | None = None  # the experiment's folder (weights files)
    parents: dict[str, "Parent"] = field(default_factory=dict)
