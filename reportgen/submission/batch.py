"""Verify a class's submissions one after the other, or one Ray task each; a submission's failure is a line, never a crash."""

from __future__ import annotations

import os
import traceback
from pathlib import Path
from typing import Any, Callable

from ..errors import ReportgenError

__all__ = ["EXECUTORS", "Job", "Outcome", "verify_all", "verify_one"]

EXECUTORS = ("local", "ray")
Job = tuple[Path, Path, Path, Path, bool]  # (zip, its output folder, the reference, the shared cache; absolute), quick
Outcome = tuple[Any, "str | None"]  # (its VerifyReport or None, the line that says why there is none)
ERROR_FILE = "grade-error.txt"  # in a submission's folder: the traceback of a verification that crashed
_ENV = ("REPORTGEN_DATA_PATH", "KERAS_BACKEND", "REPORTGEN_TRUST", "REPORTGEN_KEY")  # what a Ray worker takes from the driver


def verify_one(zip_path: Path, out: Path, reference: Path, cache: Path, quick: bool = False) -> Outcome:
    """verify_submission on one zip. verify reports a bad submission as refused; anything it raises is returned as a line
    (a crash's traceback kept in out/grade-error.txt) so that one submission never stops the class."""
    from .verify import verify_submission

    try:
        return verify_submission(zip_path, out, reference=reference, cache=cache, quick=quick), None
    except ReportgenError as exc:
        return None, str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    except Exception as exc:  # one hostile or broken submission must not stop the class: recorded, traceback kept
        out.mkdir(parents=True, exist_ok=True)
        (out / ERROR_FILE).write_text(traceback.format_exc(), encoding="utf-8")
        return None, f"verification failed ({type(exc).__name__}: {str(exc)[:200]}; see {out / ERROR_FILE})"


def verify_all(jobs: list[Job], executor: str, done: Callable[[int, Outcome], None], address: str | None = None) -> list[Outcome]:
    """Every job's outcome, in the jobs' order; done(i, outcome) as each ends. local: in turn, in this process, so that
    identical runs of several submissions train once (the first fills the shared cache); ray: one task per submission."""
    if executor not in EXECUTORS:
        raise ReportgenError(f"unknown executor '{executor}'; known: {', '.join(EXECUTORS)}")
    if address and executor != "ray":
        raise ReportgenError(f"--address {address} is for --executor ray")
    if executor == "ray":
        return _verify_ray(jobs, done, address)
    outcomes = []
    for i, job in enumerate(jobs):
        outcomes.append(verify_one(*job))
        done(i, outcomes[-1])
    return outcomes


def _verify_task(job: Job, limits: dict[str, int], env: dict[str, str]) -> Outcome:
    """A Ray task: the driver's limits, data path, backend and trusted keys, then one verification."""
    from ..limits import configure

    configure(limits)
    os.environ.update(env)
    return verify_one(*job)


def _verify_ray(jobs: list[Job], done: Callable[[int, Outcome], None], address: str | None) -> list[Outcome]:
    """One Ray task per submission: on the cluster at `address`, else on Ray already started here, else on a local
    instance started (and shut down) here. On a cluster every node needs reportgen, the data and the shared cache folder."""
    from ..limits import LIMITS, limit
    from ..run.executors import check_executor

    check_executor("ray", address)  # Ray installed, else the same one line as `report --executor ray`
    import ray

    started = not ray.is_initialized()
    if started:
        try:
            ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
        except (ConnectionError, ValueError, RuntimeError) as exc:
            raise ReportgenError(f"cannot start or reach Ray at {address or 'a new local instance'}: "
                                 f"{str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}") from None
    task = ray.remote(_verify_task).options(max_retries=0)
    limits, env = {name: limit(name) for name in LIMITS}, {name: os.environ[name] for name in _ENV if name in os.environ}
    pending = {task.remote(job, limits, env): i for i, job in enumerate(jobs)}
    outcomes: list[Outcome] = [(None, "not verified")] * len(jobs)
    try:
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            i = pending.pop(ready[0])
            try:
                outcomes[i] = ray.get(ready[0])
            except Exception as exc:  # the task itself died (its worker killed for memory, ...): that submission is reported
                outcomes[i] = (None, f"verification task failed: {type(exc).__name__}: "
                                          f"{(str(exc).strip().splitlines() or [''])[0][:200]}")
            done(i, outcomes[i])
    finally:
        for ref in pending:  # Ctrl-C: stop the rest
            try:
                ray.cancel(ref, force=True)
            except Exception:
                pass
        if started:
            ray.shutdown()
    return outcomes
