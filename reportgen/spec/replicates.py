"""Seed replicates: `seeds: [0, 1, 2]` or `replicates: N` at the top of a file or on a run (and so on each run of its sweep)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..limits import exceeded, limit
from .check import INVALID, Checker
from .yamlsource import Located

__all__ = ["REPLICATE_KEYS", "Replicates", "read_replicates"]

REPLICATE_KEYS = ("seeds", "replicates")


@dataclass(frozen=True)
class Replicates:
    """The seeds a run trains with: listed, or a count of consecutive seeds from the run's own `training.seed`."""

    seeds: tuple[int, ...] = ()
    count: int = 0
    where: Located | None = None  # the value, for a located message when the experiment's runs are counted

    def resolve(self, seed: int) -> tuple[int, ...]:
        """The seeds; () for a single run (its `training.seed` alone)."""
        if self.seeds:
            return self.seeds
        return tuple(range(seed, seed + self.count)) if self.count > 1 else ()


def read_replicates(c: Checker, fields: dict[str, Located], path: str) -> Replicates | None | Any:
    """A mapping's `seeds:` or `replicates:` (not both): a Replicates, None when it has neither, INVALID on a mistake."""
    given = [key for key in REPLICATE_KEYS if key in fields]
    if not given:
        return None
    if len(given) == 2:
        return c.fail(fields["replicates"].mark, f"{path}replicates",
                      "expected `seeds: [..]` or `replicates: N`, not both (replicates: N is seeds training.seed .. +N-1)")
    node = fields[given[0]]
    where = f"{path}{given[0]}"
    if given[0] == "replicates":
        count = c.integer(node, where, minimum=1)
        if count is not INVALID and count > limit("runs"):
            return c.fail(node.mark, where, exceeded("runs", f"{count:,} replicates of one run"))
        return INVALID if count is INVALID else Replicates(count=count, where=node)
    items = c.sequence(node, where, "a non-empty list of seeds (integers >= 0)", allow_empty=False)
    if items is INVALID:
        return INVALID
    if len(items) > limit("runs"):
        return c.fail(node.mark, where, exceeded("runs", f"{len(items):,} seeds of one run"))
    seeds = c.each(items, where, lambda n, q: c.integer(n, q, minimum=0))
    if INVALID in seeds:
        return INVALID
    repeated = next((s for i, s in enumerate(seeds) if s in seeds[:i]), None)
    if repeated is not None:
        return c.fail(node.mark, where, f"expected distinct seeds (a seed twice is the same run twice). Received: {repeated} twice")
    return Replicates(seeds=tuple(seeds), where=node)
