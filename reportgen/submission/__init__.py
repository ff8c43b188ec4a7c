"""Submissions: `submit` packs a build into a deterministic zip; `verify` rebuilds an untrusted one and compares its numbers."""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["SUBMISSION", "Submission", "Verdict", "VerifyReport", "submit", "verify_submission"]

# Imported on first use: the CLI reads this package's commands on every call, and a refused zip is answered at once.
_WHERE = {"SUBMISSION": "submit", "Submission": "submit", "submit": "submit",
          "Verdict": "verify", "VerifyReport": "verify", "verify_submission": "verify"}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
