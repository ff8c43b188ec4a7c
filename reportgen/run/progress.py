"""Rich progress drawn from training's events: run i of n, epoch, loss, accuracy and ETA; plain lines when not a terminal."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.markup import escape as _markup_escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from ..text import printable
from .events import EpochEnded, Event, FitStarted, RunStarted, Step

__all__ = ["TrainingProgress", "console", "escape"]

console = Console(stderr=True, highlight=False, soft_wrap=True)


def escape(text: object) -> str:
    """Untrusted text (run names, a student's group) for a console line: Rich markup inert, and every control character
    written as an escape, so that nothing printed can move the cursor, retitle or ring the grader's terminal."""
    return _markup_escape(printable(text))


class TrainingProgress:
    """One bar for the runs, one per run training now for its steps (several at once with a parallel executor); also
    plain lines for logs."""

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
        self._steps: dict[str, Any] = {}  # run -> its step bar, while it trains
        self._epochs: dict[str, int] = {}
        self._last: dict[str, float] = {}
        self._current = ""  # the run events without a name belong to (a local executor trains one at a time)

    def __enter__(self) -> "TrainingProgress":
        self._progress.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._progress.__exit__(*exc)

    def handle(self, event: Event, run: str | None = None) -> None:
        """Draw one progress event (run.events) of `run`, by default the run that started last."""
        if isinstance(event, RunStarted):
            self.start_run(event.name, event.epochs, event.steps_per_epoch)
        elif isinstance(event, FitStarted):
            self.start_fit(event.name, event.what)
        elif isinstance(event, Step):
            self.step(event.done, event.epoch, event.logs, run)
        elif isinstance(event, EpochEnded):
            self.end_epoch(event.epoch, event.logs, run)

    def start_run(self, name: str, epochs: int, steps_per_epoch: int) -> None:
        self._started(name)
        self._epochs[name] = epochs
        self._steps[name] = self._progress.add_task(self._label(name, 0), total=epochs * steps_per_epoch, stats="")
        if not self.live:
            console.print(f"training {escape(name)} (run {self.index}/{self.total_runs}, {epochs} epochs)")

    def start_fit(self, name: str, what: str) -> None:
        """A run without epochs (a scikit-learn estimator): one line, no step bar."""
        self._started(name)
        console.print(f"fitting {escape(name)} (run {self.index}/{self.total_runs}, {escape(what)})")

    def _started(self, name: str) -> None:
        self.index += 1
        self._current = name
        self._drop(name)
        self._progress.update(self._runs, description=f"run {self.index}/{self.total_runs} {escape(name)}")

    def step(self, done: int, epoch: int, logs: dict[str, float], run: str | None = None) -> None:
        run = run or self._current
        now = time.monotonic()
        if run not in self._steps or now - self._last.get(run, 0.0) < 0.1:  # redraw at most ten times a second
            return
        self._last[run] = now
        self._progress.update(self._steps[run], completed=done, description=self._label(run, epoch), stats=_stats(logs))

    def end_epoch(self, epoch: int, logs: dict[str, float], run: str | None = None) -> None:
        run = run or self._current
        if not self.live:  # with runs training side by side, each line names its run
            who = f" {escape(run)}" if len(self._steps) > 1 else ""
            console.print(f" {who} epoch {epoch + 1}/{self._epochs.get(run, '?')}: {_stats(logs)}")

    def end_run(self, line: str, run: str | None = None) -> None:
        self._drop(run or self._current)
        self._progress.advance(self._runs)
        console.print(escape(line))

    def note(self, line: str) -> None:
        """A line about the build that is not a run's progress (e.g. a cache entry that is not used)."""
        console.print(escape(line))

    def skip(self, line: str) -> None:
        """A run that needs no training (cache hit, or a parent that failed)."""
        self.index += 1
        self._progress.advance(self._runs)
        console.print(escape(line))

    def _label(self, run: str, epoch: int) -> str:
        who = f" {escape(run)}" if len(self._steps) > 1 or run != self._current else ""
        return f" {who} epoch {epoch + 1}/{self._epochs.get(run, '?')}"

    def _drop(self, run: str) -> None:
        """Remove a run's step bar (it ended, or it starts again)."""
        bar = self._steps.pop(run, None)
        if bar is not None:
            self._progress.remove_task(bar)
        self._last.pop(run, None)


_SHORT = {"loss": "loss", "accuracy": "acc", "val_loss": "val_loss", "val_accuracy": "val_acc"}


def _stats(logs: dict[str, float]) -> str:
    return " ".join(f"{short} {logs[key]:.4f}" for key, short in _SHORT.items() if key in logs)
