"""What a result depends on besides its spec: library versions and the backend, read without importing them."""

from __future__ import annotations

import json
import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["backend_name", "manifest", "result_versions"]

RESULT_FORMAT = 1  # bump when what a cache entry holds changes


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def backend_name() -> str:
    """The Keras backend that will be used, read as Keras reads it (env, then keras.json)."""
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"]
    config = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "keras.json"
    try:
        return json.loads(config.read_text()).get("backend", "tensorflow")
    except (OSError, ValueError):
        return "tensorflow"


_BACKEND_PACKAGES = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}


def result_versions() -> dict[str, Any]:
    """The versions that change numbers: part of every cache key."""
    backend = backend_name()
    return {
        "format": RESULT_FORMAT,
        "keras": _version("keras"),
        "backend": backend,
        "backend_version": _version(_BACKEND_PACKAGES.get(backend, backend)),
    }


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def manifest(devices: list[str] | None = None) -> dict[str, Any]:
    """The environment of a training run, recorded beside its result."""
    return {
        **result_versions(),
        "python": platform.python_version(),
        "numpy": _version("numpy"),
        "platform": platform.platform(),
        "cpu": _cpu(),
        "cpu_count": os.cpu_count(),
        "devices": devices or [],
    }
