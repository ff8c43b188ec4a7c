"""Runs: cache keys, the result cache, training and the runner (Keras is imported only to train)."""

from .cache import Cache, cache_key
from .environment import backend_name, manifest, result_versions
from .result import RunResult
from .runner import run_experiment

__all__ = ["Cache", "RunResult", "backend_name", "cache_key", "manifest", "result_versions", "run_experiment"]
