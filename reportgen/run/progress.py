"""Rich progress drawn from training's events: run i of n, epoch, loss, accuracy and ETA; plain lines when not a terminal."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from .events import EpochEnded, Event, FitStarted, RunStarted, Step

__all__ = ["TrainingProgress", "console"]

console = Console(stderr=True, highlight=False, soft_wrap=True)


class TrainingProgress:
    """One bar for the runs, one for the current run's steps; also plain lines for logs."""

    def __init__(self, total_runs: int, enabled: bool = True):
        self.total_runs = total_runs
        self.live = enabled and console.is_terminal
        self.index = 0
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[stats]}"),  # last: a narrow terminal cuts the numbers, not the bars
            console=console,
            transient=True,
            disable=not self.live,
        )
        self._runs = self._progress.add_task("runs", total=total_runs, stats="")
        self._steps: Any = None
        self._epochs = 0
        self._last = 0.0

    def __enter__(self) -> "TrainingProgress":
        self._progress.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._progress.__exit__(*exc)

    def handle(self, event: Event) -> None:
        """Draw one progress event of the run being trained (run.events)."""
        if isinstance(event, Step):
            self.step(event.done, event.epoch, event.logs)
        elif isinstance(event, EpochEnded):
            self.end_epoch(event.epoch, event.logs)
        elif isinstance(event, RunStarted):
            self.start_run(event.name, event.epochs, event.steps_per_epoch)
        elif isinstance(event, FitStarted):
            self.start_fit(event.name, event.what)

    def start_run(self, name: str, epochs: int, steps_per_epoch: int) -> None:
        self.index += 1
        self._epochs = epochs
        self._progress.update(self._runs, description=f"run {self.index}/{self.total_runs} {escape(name)}")
        if self._steps is not None:
            self._progress.remove_task(self._steps)
        self._steps = self._progress.add_task(f"  epoch 1/{epochs}", total=epochs * steps_per_epoch, stats="")
        if not self.live:
            console.print(f"training {escape(name)} (run {self.index}/{self.total_runs}, {epochs} epochs)")

    def start_fit(self, name: str, what: str) -> None:
        """A run without epochs (a scikit-learn estimator): one line, no step bar."""
        self.index += 1
        self._progress.update(self._runs, description=f"run {self.index}/{self.total_runs} {escape(name)}")
        if self._steps is not None:
            self._progress.remove_task(self._steps)
            self._steps = None
        console.print(f"fitting {escape(name)} (run {self.index}/{self.total_runs}, {escape(what)})")

    def step(self, done: int, epoch: int, logs: dict[str, float]) -> None:
        now = time.monotonic()
        if now - self._last < 0.1:  # redraw at most ten times a second
            return
        self._last = now
        self._progress.update(self._steps, completed=done, description=f"  epoch {epoch + 1}/{self._epochs}", stats=_stats(logs))

    def end_epoch(self, epoch: int, logs: dict[str, float]) -> None:
        if not self.live:
            console.print(f"  epoch {epoch + 1}/{self._epochs}: {_stats(logs)}")

    def end_run(self, line: str) -> None:
        self._progress.advance(self._runs)
        console.print(escape(line))

    def note(self, line: str) -> None:
        """A line about the build that is not a run's progress (e.g. a cache entry that is not used)."""
        console.print(escape(line))

    def skip(self, line: str) -> None:
        """A run that needs no training (cache hit)."""
        self.index += 1
        self._progress.advance(self._runs)
        console.print(escape(line))


_SHORT = {"loss": "loss", "accuracy": "acc", "val_loss": "val_loss", "val_accuracy": "val_acc"}


def _stats(logs: dict[str, float]) -> str:
    return " ".join(f"{short} {logs[key]:.4f}" for key, short in _SHORT.items() if key in logs)


