"""RayExecutor: each training one Ray task (a GPU each where the cluster has GPUs) that returns its sealed cache entry."""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from ..data import Dataset
from ..errors import ReportgenError, RunError
from .cache import Cache
from .events import Event, Step
from .executors import Handler, Outcome
from .execute import RunJob

__all__ = ["RayExecutor", "train_task"]

_POLL = 0.2  # seconds between looks at the tasks and the event queue
_STEP_EVERY = 0.25  # a task sends at most four step events a second; starts and epochs always


class RayExecutor:
    """Submits each job as a Ray task: on the cluster at `address` ('auto', 'ray://HOST:PORT'), else on Ray already
    started in this process, else on a local instance started here (and shut down at the end). Progress events come
    back through a Ray queue that this driver drains into the same handler as local runs'."""

    capacity = 1 << 30  # everything whose parents are collected; Ray queues tasks by the resources they ask for

    def __init__(self, load: Callable[[str], Dataset], handle: Handler, address: str | None = None):
        import ray

        self._ray, self._load, self._handle = ray, load, handle
        self._started = not ray.is_initialized()
        if self._started:
            try:
                local = {"include_dashboard": False} if address is None else {}  # a cluster keeps its own settings
                ray.init(address=address, log_to_driver=False, logging_level=logging.ERROR, **local)
            except (ConnectionError, ValueError, RuntimeError) as exc:
                raise RunError(f"cannot start or reach Ray at {address or 'a new local instance'}: "
                               f"{str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}") from None
        gpus = ray.cluster_resources().get("GPU", 0)
        self.resources = {"num_gpus": 1} if gpus > 0 else {"num_cpus": 1}
        self._task = ray.remote(train_task).options(max_retries=0, **self.resources)
        self._data: dict[str, Any] = {}  # dataset -> its object reference (put once, shared by the tasks)
        self._running: dict[Any, RunJob] = {}
        try:
            from ray.util.queue import Queue

            self._events: Any = Queue(actor_options={"num_cpus": 0})
        except Exception:  # progress is a comfort: without the queue, runs still start and end with a line each
            self._events = None

    def submit(self, job: RunJob) -> None:
        name = job.run.dataset
        if name not in self._data:
            self._data[name] = self._ray.put(self._load(name))
        self._running[self._task.remote(job, self._data[name], self._events)] = job

    def next_done(self) -> Outcome:
        ray = self._ray
        while True:
            done, _ = ray.wait(list(self._running), num_returns=1, timeout=_POLL)
            self._drain()
            if done:
                break
        job = self._running.pop(done[0])
        try:
            files = ray.get(done[0])
        except ray.exceptions.RayTaskError as exc:  # the task raised: the run's own error, as the local executor raises it
            cause = getattr(exc, "cause", None)
            if isinstance(cause, ReportgenError):
                raise cause from None
            if isinstance(cause, BaseException):
                raise cause
            raise
        except ray.exceptions.RayError as exc:  # its worker or node died, or it was cancelled: nothing was imported
            raise RunError(f"run '{job.label}': its Ray task did not finish ({type(exc).__name__}); nothing of it is in the "
                           "cache; run the same command to go on") from None
        self._drain()  # its last events before its end line
        return Outcome(job, files)

    def _drain(self) -> None:
        if self._events is None:
            return
        try:
            waiting = self._events.qsize()
            events = self._events.get_nowait_batch(waiting) if waiting else []
        except Exception:
            self._events = None
            return
        for run, event in events:
            self._handle(event, run)

    def close(self) -> None:
        ray = self._ray
        for ref in self._running:  # Ctrl-C or another run's error: stop the rest; a task's scratch entry dies with it
            try:
                ray.cancel(ref, force=True)
            except Exception:
                pass
        self._running.clear()
        if self._events is not None:
            try:
                self._events.shutdown(force=True)
            except Exception:
                pass
        if self._started:
            ray.shutdown()


def train_task(job: RunJob, dataset: Dataset, events: Any) -> dict[str, bytes]:
    """A Ray task: train the job in a scratch cache on this worker, sealed by this worker's key, and return the entry's
    files (the driver verifies the seal before it imports them)."""
    from .execute import prepare_worker, run_job
    from .collect import pack_entry

    prepare_worker(job)
    emit = _Forward(events, job.label) if events is not None else (lambda event: None)
    with tempfile.TemporaryDirectory(prefix="reportgen-task-") as scratch:
        cache = Cache(Path(scratch))
        run_job(job, dataset, cache, emit)
        return pack_entry(cache, job.planned.key)


class _Forward:
    """A task's Emit: each event to the driver's queue with the run's name; steps at most four times a second. A lost
    queue costs progress lines, never the run."""

    def __init__(self, queue: Any, run: str):
        self.queue, self.run, self._last = queue, run, 0.0

    def __call__(self, event: Event) -> None:
        if self.queue is None:
            return
        if isinstance(event, Step):
            now = time.monotonic()
            if now - self._last < _STEP_EVERY:
                return
            self._last = now
        try:
            self.queue.put_nowait((self.run, event))
        except Exception:
            self.queue = None
