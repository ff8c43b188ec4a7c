"""Experiment: the Python API for notebooks (Jupyter, Colab): build, then read results, tables, figures and the report."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ReportgenError

__all__ = ["Experiment", "Figure", "Report", "Table"]


@dataclass(frozen=True)
class Table:
    """A report table as built: its number, caption, headers and rows (the cells as printed); displays itself."""

    number: int
    caption: str
    headers: list[str]
    rows: list[list[str]]

    @property
    def frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame(self.rows, columns=self.headers)

    def _repr_html_(self) -> str:
        return f"<p><b>Table {self.number}.</b> {html.escape(self.caption)}</p>" + self.frame.to_html(index=False, escape=True)

    def __repr__(self) -> str:
        return f"Table {self.number}. {self.caption}\n{self.frame.to_string(index=False)}"


@dataclass(frozen=True)
class Figure:
    """A report figure as drawn (PNG or SVG under the build folder) with its caption; displays itself."""

    number: int
    caption: str
    path: Path

    def _repr_png_(self) -> bytes | None:
        return self.path.read_bytes() if self.path.suffix == ".png" else None

    def _repr_svg_(self) -> str | None:
        return self.path.read_text(encoding="utf-8") if self.path.suffix == ".svg" else None

    def __repr__(self) -> str:
        return f"Figure {self.number}: {self.caption} ({self.path})"


@dataclass(frozen=True)
class Report:
    """The built PDF; displays as a link to it (and to the HTML beside it)."""

    path: Path

    def _repr_html_(self) -> str:
        pdf, page = html.escape(str(self.path)), html.escape(str(self.path.with_suffix(".html")))
        return f'<a href="{pdf}" target="_blank">{pdf}</a> (<a href="{page}" target="_blank">HTML</a>)'

    def __fspath__(self) -> str:
        return str(self.path)

    def __repr__(self) -> str:
        return str(self.path)


class Experiment:
    """An experiment file (a path, or a NAME of experiments/), built as `reportgen report` builds it.

        exp = Experiment("experiments/demo.yaml")
        exp.build(quick=True)      # trains what is not cached; progress is printed as it goes
        exp.results                # a DataFrame: one row per run, its metrics
        exp.table(1), exp.figure(2), exp.report()

    A mistake in the file, the data or the call raises ReportgenError with the CLI's one-line (located) message."""

    def __init__(self, experiment: str | Path, out: str | Path | None = None, cache: str | Path | None = None):
        from .pipeline import resolve_experiment
        from .spec import load_spec

        self.file = resolve_experiment(str(experiment))
        self.spec = load_spec(self.file)  # the file's errors, now, every one located
        self._out, self._cache = (Path(out) if out else None), (Path(cache) if cache else None)
        self._built: dict[str, Any] | None = None

    def __repr__(self) -> str:
        state = f"built in {self._built['out']}" if self._built else "not built yet: call .build()"
        return f"Experiment({str(self.file)!r}): {len(self.spec.runs)} runs, {len(self.spec.sections)} sections, {state}"

    def build(self, quick: bool = False, force: bool = False, sections: list[str] | None = None,
              show_progress: bool = True) -> "Experiment":
        """Train (or fetch from the cache) every run and write the report; returns the experiment, built."""
        from .pipeline import build

        summary = build(str(self.file), quick=quick, force=force, out=self._out, cache_dir=self._cache,
                        show_progress=show_progress, sections=sections)
        self._built = {"out": summary.out, "quick": quick, "sections": sections, "summary": summary, "context": None}
        return self

    def _need(self) -> dict[str, Any]:
        if self._built is None:
            raise ReportgenError(f"{self.file}: not built yet", hint="call .build() (or .build(quick=True)) first")
        return self._built

    @property
    def out(self) -> Path:
        """The build folder (report.pdf, report.html, results.json, figures/)."""
        return self._need()["out"]

    @property
    def summary(self) -> Any:
        """What the build did: which runs trained, which came from the cache, which failed."""
        return self._need()["summary"]

    @property
    def results(self) -> Any:
        """One row per run: its status, its metrics (a run with seed replicates: their mean), epochs, params, seconds."""
        import pandas as pd

        runs = json.loads((self.out / "results.json").read_text(encoding="utf-8"))["runs"]
        rows = [{"run": name, "status": run["status"], **run["metrics"], "epochs": run["epochs"], "params": run["params"],
                 "seconds": run["seconds"], "seeds": len(run.get("seeds") or [None])} for name, run in runs.items()]
        return pd.DataFrame(rows).set_index("run")

    def _context(self) -> dict[str, Any]:
        built = self._need()
        if built["context"] is None:
            import os

            from .report import build_context
            from .run import Cache, run_experiment
            from .spec import select_sections

            spec = select_sections(self.spec, built["sections"]) if built["sections"] else self.spec
            spec = spec.with_profile("quick" if built["quick"] else "full")
            cache = Cache(self._cache or Path(os.environ.get("REPORTGEN_CACHE", "build/cache")))
            results = run_experiment(spec, cache, show_progress=False, train=False)
            built["context"] = build_context(spec, results, "")
        return built["context"]

    def _blocks(self, kind: str) -> list[dict[str, Any]]:
        return [block for section in self._context()["sections"] for block in section["blocks"] if block["kind"] == kind]

    def table(self, number: int) -> Table:
        """Table `number` of the report (1 is the first), as printed."""
        tables = self._blocks("table")
        if not 1 <= number <= len(tables):
            raise ReportgenError(f"{self.file}: no table {number}; the report has {len(tables)} (1 to {len(tables)})")
        table = tables[number - 1]
        return Table(number, str(table["caption"]), list(table["headers"]), [list(row) for row in table["rows"]])

    def figure(self, number: int) -> Figure:
        """Figure `number` of the report (1 is the first), as drawn into the build folder."""
        figures = self._blocks("figure")
        if not 1 <= number <= len(figures):
            raise ReportgenError(f"{self.file}: no figure {number}; the report has {len(figures)} (1 to {len(figures)})")
        figure = figures[number - 1]
        return Figure(number, str(figure["caption"]), self.out / figure["src"])

    def report(self) -> Report:
        """The report's PDF."""
        return Report(self.out / "report.pdf")

    def notebook(self, execute: bool = True) -> Path:
        """build/NAME/NAME.ipynb: the experiment as plain Keras code, executed (see `reportgen notebook`)."""
        from .pipeline import notebook

        built = self._need()
        return notebook(str(self.file), quick=built["quick"], out=self._out, cache_dir=self._cache, execute=execute,
                        sections=built["sections"]).path
