"""Executors: where planned trainings run. Local trains one at a time in this process; Ray (run.remote) on a cluster."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from importlib.util import find_spec
from typing import Callable, Protocol

from ..data import Dataset
from ..errors import RunError
from .cache import Cache
from .events import Event
from .execute import RunJob, run_job

__all__ = ["EXECUTORS", "Executor", "Handler", "LocalExecutor", "Outcome", "check_executor", "open_executor"]

EXECUTORS = ("local", "ray")
Handler = Callable[[Event, "str | None"], None]  # draws a run's event (TrainingProgress.handle); the run None: the last started


@dataclass(frozen=True)
class Outcome:
    """A job done: its entry is in the build's cache, or (`files`) a worker's sealed entry for the collector to import."""

    job: RunJob
    files: dict[str, bytes] | None = None


class Executor(Protocol):
    """Takes jobs whose parents are collected, and hands back each one's outcome when it is done."""

    capacity: int  # jobs in flight at once; with 1, jobs run in plan order and lines read as one loop's

    def submit(self, job: RunJob) -> None: ...

    def next_done(self) -> Outcome:
        """Block until a submitted job is done (drawing progress meanwhile); its failure to run is raised here."""
        ...

    def close(self) -> None:
        """Stop what still runs (Ctrl-C, an error): nothing of it reaches the cache."""
        ...


class LocalExecutor:
    """Trains each job in this process when it is asked for, writing its entry straight into the build's cache."""

    capacity = 1

    def __init__(self, cache: Cache, load: Callable[[str], Dataset], handle: Handler):
        self.cache, self.load, self.handle = cache, load, handle
        self._pending: deque[RunJob] = deque()

    def submit(self, job: RunJob) -> None:
        self._pending.append(job)

    def next_done(self) -> Outcome:
        job = self._pending.popleft()
        run_job(job, self.load(job.run.dataset), self.cache, lambda event: self.handle(event, None))
        return Outcome(job)

    def close(self) -> None:
        self._pending.clear()


def check_executor(name: str, address: str | None = None) -> None:
    """A user's choice of executor, checked before any work: a known one, its package installed, an address only for Ray."""
    if name not in EXECUTORS:
        raise RunError(f"unknown executor '{name}'; known: {', '.join(EXECUTORS)}")
    if address and name != "ray":
        raise RunError(f"--address {address} is for --executor ray (this build's executor is {name})")
    if name == "ray" and find_spec("ray") is None:
        raise RunError("--executor ray needs Ray, which is not installed: pip install 'reportgen[ray]'")


def open_executor(name: str, cache: Cache, load: Callable[[str], Dataset], handle: Handler, address: str | None = None) -> Executor:
    check_executor(name, address)
    if name == "ray":
        from .remote import RayExecutor  # imports Ray: only when asked for

        return RayExecutor(load, handle, address)
    return LocalExecutor(cache, load, handle)
