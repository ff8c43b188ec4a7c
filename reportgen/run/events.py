"""Progress events: what training reports while it runs; the CLI draws them (trainers never see a UI object)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Union

__all__ = ["EpochEnded", "Event", "Emit", "FitStarted", "RunStarted", "Step", "ignore"]


@dataclass(frozen=True)
class RunStarted:
    """A Keras run starts: its epochs (all phases) and steps per epoch."""

    name: str
    epochs: int
    steps_per_epoch: int


@dataclass(frozen=True)
class FitStarted:
    """A run without epochs starts (a scikit-learn estimator), with what it fits."""

    name: str
    what: str


@dataclass(frozen=True)
class Step:
    """Steps done in the run so far, the current epoch (from 0) and the last logs."""

    done: int
    epoch: int
    logs: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class EpochEnded:
    epoch: int
    logs: dict[str, float] = field(default_factory=dict)


Event = Union[RunStarted, FitStarted, Step, EpochEnded]
Emit = Callable[[Event], None]


def ignore(event: Event) -> None:
    """An Emit that draws nothing (tests, benchmarks, workers without a terminal)."""
