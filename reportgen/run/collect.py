"""The collector: writes a trained run's sealed entry and probes, packs a worker's entry, and imports it once verified."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Callable

from ..errors import RunError
from ..numbers import percent
from .cache import Cache
from .probes import compute_probe

if TYPE_CHECKING:
    from .execute import RunJob

__all__ = ["end_line", "import_entry", "pack_entry", "probe_entry", "write_entry", "writing"]

_MAX_FILES = 1000  # an entry holds a handful of files (result, arrays, model, seal, probes)


def write_entry(cache: Cache, job: "RunJob", record: dict[str, Any], arrays: dict[str, Any], model: Any, workdir: Path,
                dataset: Callable[[], Any]) -> None:
    """The run's entry, whole and sealed by this machine's key, then the probes its figures need, computed from the
    trained model while it is in memory (no reload)."""
    extra = {"model.keras": workdir / "model.keras"} if model is not None else {}
    cache.write(job.planned.key, record, arrays, extra=extra, spec_key=job.planned.run_key)
    if "failure" not in record and job.probes:
        probe_entry(cache, job.planned.key, job.probes, model, dataset, job.planned.name)


def probe_entry(cache: Cache, key: str, probes: dict[str, list[str]], model: Any, dataset: Callable[[], Any], run: str) -> None:
    """Compute the probes an entry does not hold yet, from the trained model in memory or else the saved one (loaded
    only when a probe is missing)."""
    missing = {probe: arrays for probe, arrays in probes.items() if not cache.has_probe(key, probe, arrays)}
    if missing and model is None:
        from ..quiet import import_keras

        import_keras()
        from ..model.backbones import BackbonePreprocess  # noqa: F401  (registers the layer the saved model may hold)
        import keras

        model = keras.saving.load_model(cache.model_file(key))
    for probe, arrays in missing.items():
        cache.write_probe(key, probe, compute_probe(probe, arrays, model, dataset, run))


def pack_entry(cache: Cache, key: str) -> dict[str, bytes]:
    """An entry's files as {name relative to the entry: bytes} (a worker returns them to the driver)."""
    folder = cache.entry(key)
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def import_entry(cache: Cache, job: "RunJob", files: dict[str, bytes]) -> None:
    """Put a worker's entry into this cache, whole, once its seal verifies here (the worker's key is this machine's or
    a trusted one); else a one-line error, and nothing of it is kept. Staged beside the cache, renamed into place."""
    key, name = job.planned.key, job.label
    with writing(name, cache.root):
        cache.root.mkdir(parents=True, exist_ok=True)
        staged = Path(tempfile.mkdtemp(prefix=f".tmp-{os.getpid()}-import-", dir=cache.root))
        try:
            folder = staged / key[:2] / key
            for relative, content in _checked(name, files).items():
                target = folder.joinpath(*PurePosixPath(relative).parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
            verdict = cache.adopt(key, folder, spec_key=job.planned.run_key)
        finally:
            shutil.rmtree(staged, ignore_errors=True)
    if not verdict.trusted:
        raise RunError(f"run '{name}': the entry its worker returned is not used: {verdict.reason}",
                       hint="on a cluster, run `reportgen key --out workers.pub` with the workers' key (their $REPORTGEN_KEY) "
                            "and build with REPORTGEN_TRUST=workers.pub")


def _checked(name: str, files: Any) -> dict[str, bytes]:
    """A worker's files: plain names, or probes/NAME; nothing that could land outside the entry."""
    if not isinstance(files, dict) or len(files) > _MAX_FILES:
        raise RunError(f"run '{name}': its worker returned no cache entry")
    for relative, content in files.items():
        parts = PurePosixPath(str(relative)).parts
        plain = len(parts) == 1 or (len(parts) == 2 and parts[0] == "probes")
        if not plain or any(part in ("", ".", "..") or "\\" in part for part in parts) or not isinstance(content, bytes):
            raise RunError(f"run '{name}': its worker returned a file outside its entry ({str(relative)[:80]!r})")
    return files


@contextlib.contextmanager
def writing(name: str, folder: Path) -> Iterator[None]:
    """A full disk (or quota, or file-size limit) while a run writes: one line naming the folder, not a traceback."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            raise
        raise RunError(f"run '{name}': cannot write in {folder}: {exc.strerror} (no entry was half-written; "
                       "free space there or point --cache elsewhere)") from exc


def end_line(name: str, record: dict[str, Any]) -> str:
    """The progress line of a run just trained: its time and headline metric, or why it failed."""
    if record.get("status") == "failed":
        return f"failed  {name}" + (f" after {record['seconds']:.1f} s" if record["seconds"] else "") + f": {record['failure']}"
    return f"trained {name} in {record['seconds']:.1f} s{_headline(record)}"


def _headline(record: dict[str, Any]) -> str:
    metrics = record["metrics"]
    if "test_accuracy" in metrics:
        return f", test accuracy {percent(metrics['test_accuracy'], metrics.get('test_total'))}"
    if "test_psnr" in metrics:
        return f", test MSE {metrics['test_mse']:.4f} ({metrics['test_psnr']:.1f} dB)"
    return ""
