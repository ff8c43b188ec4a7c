"""Bounds on untrusted input, checked before the work; defaults fit coursework, `--limit NAME=N` or $REPORTGEN_LIMITS raises them."""

from __future__ import annotations

import os
from dataclasses import dataclass

from .errors import ReportgenError

__all__ = ["ENV_VAR", "LIMITS", "Limit", "configure", "exceeded", "limit", "parse_overrides"]

ENV_VAR = "REPORTGEN_LIMITS"


@dataclass(frozen=True)
class Limit:
    """One bound: its default and what it counts (for messages and the README)."""

    name: str
    default: int
    counts: str


LIMITS: dict[str, Limit] = {limit.name: limit for limit in (
    Limit("yaml_bytes", 256_000, "bytes in an experiment file"),
    Limit("yaml_nodes", 100_000, "YAML values in an experiment file, aliases expanded"),
    Limit("yaml_depth", 64, "levels of nesting in an experiment file"),
    Limit("text_bytes", 500_000, "bytes of Markdown in one report (its files and markdown: blocks together)"),
    Limit("runs", 512, "runs in one experiment, sweeps and replicates expanded"),
    Limit("epochs", 1_000, "epochs of one run"),
    Limit("layer_width", 65_536, "units, filters or channels of one layer"),
    Limit("layers", 1_000, "layers in one model, repeat blocks unrolled"),
    Limit("params", 200_000_000, "parameters in one model"),
    Limit("activations", 33_554_432, "values in one layer's output for one image"),
    Limit("batch_values", 1_073_741_824, "values in one layer's output for one training batch (4 GiB in float32)"),
    Limit("figure_images", 1_024, "images in one figure grid"),
    Limit("estimator_size", 10_000, "trees, neighbours, depth, degree or iterations of a scikit-learn estimator"),
    Limit("data_bytes", 4_000_000_000, "bytes one data file decompresses to"),
    Limit("zip_members", 1_000, "members of a submission zip"),
    Limit("zip_bytes", 500_000_000, "bytes a submission zip unpacks to, its members together"),
    Limit("zip_ratio", 100, "unpacked bytes per packed byte of one zip member over 64 KiB (zip bombs)"),
)}

_overrides: dict[str, int] = {}


def parse_overrides(text: str, origin: str) -> dict[str, int]:
    """'params=5e8,epochs=5000' -> {'params': 500000000, 'epochs': 5000}; ReportgenError naming origin on a bad item."""
    from .registry import did_you_mean

    found: dict[str, int] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, sep, value = item.partition("=")
        name = name.strip()
        if name not in LIMITS:
            raise ReportgenError(f"{origin}: unknown limit '{name}'; known: {', '.join(LIMITS)}.{did_you_mean(name, list(LIMITS))}")
        try:
            number = float(value) if sep else float("nan")
            if not number >= 1 or number != int(number):
                raise ValueError
        except ValueError:
            raise ReportgenError(f"{origin}: expected {name}=N with N a whole number of at least 1. Received: '{item}'") from None
        found[name] = int(number)
    return found


def configure(overrides: dict[str, int]) -> None:
    """Set limits for this process (the CLI's --limit); they win over $REPORTGEN_LIMITS."""
    _overrides.update(overrides)


def limit(name: str) -> int:
    """The bound in force: --limit, else $REPORTGEN_LIMITS, else the default."""
    if name in _overrides:
        return _overrides[name]
    env = parse_overrides(os.environ.get(ENV_VAR, ""), f"${ENV_VAR}")
    return env.get(name, LIMITS[name].default)


def exceeded(name: str, received: object) -> str:
    """The message for a value over a limit: what was expected, what was received, how to raise it."""
    return (f"expected at most {limit(name):,} {LIMITS[name].counts}. Received: {received} "
            f"(raise it with --limit {name}=N or ${ENV_VAR})")
