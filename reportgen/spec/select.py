"""select_sections, with_runs: an experiment cut to some of its report's sections, or runs, and the runs they start from."""

from __future__ import annotations

from dataclasses import replace

from ..errors import SpecError
from .model import BlockSpec, ExperimentSpec

__all__ = ["block_runs", "select_sections", "with_runs"]


def block_runs(block: BlockSpec) -> list[str]:
    """The runs a report block shows (tables, best sentences, figures)."""
    options = block.options
    if options.get("best_of"):  # `run: best`: every run it may choose
        return list(options["best_of"]["runs"])
    return list(options.get("runs") or ([options["run"]] if "run" in options else []))


def _match(selector: str, number: int, title: str) -> bool:
    return selector == str(number) or selector.lower() in title.lower()


def select_sections(spec: ExperimentSpec, selectors: list[str]) -> ExperimentSpec:
    """The sections whose number (1, 2, ...) or title (any part of it, any case) is selected, with only the runs
    they show and the runs those start from. An unmatched selector is an error naming the sections."""
    numbered = list(enumerate(spec.sections, start=1))
    for selector in selectors:
        if not any(_match(selector, n, s.title) for n, s in numbered):
            known = "; ".join(f"{n}. {s.title}" for n, s in numbered) or "(none)"
            raise SpecError([f"{spec.file}: no report section matches '{selector}'; sections: {known}"])
    chosen = tuple(s for n, s in numbered if any(_match(selector, n, s.title) for selector in selectors))
    shown = with_runs(spec, [name for section in chosen for block in section.blocks for name in block_runs(block)])
    convolution = spec.convolution if any(b.kind == "convolution" for s in chosen for b in s.blocks) else None
    return replace(shown, sections=chosen, convolution=convolution,
                   selected=tuple(f"{n}. {s.title}" for n, s in numbered if s in chosen))


def with_runs(spec: ExperimentSpec, names: list[str]) -> ExperimentSpec:
    """The experiment with only these runs (names it lacks are left out), the runs they start from, and their datasets."""
    wanted = [name for name in names if name in spec.runs]
    needed: set[str] = set()
    while wanted:
        name = wanted.pop()
        if name not in needed:
            needed.add(name)
            wanted.extend(spec.runs[name].parents())
    runs = {name: run for name, run in spec.runs.items() if name in needed}
    datasets = {name: d for name, d in spec.datasets.items() if any(run.dataset == name for run in runs.values())}
    return replace(spec, runs=runs, datasets=datasets)
