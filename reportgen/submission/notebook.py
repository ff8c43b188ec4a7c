"""The submission's notebook: set-up, `reportgen report` on the experiment beside it, then its tables and figures."""

from __future__ import annotations

from ..spec import ExperimentSpec

__all__ = ["NOTEBOOK", "make_notebook", "same_notebook"]

NOTEBOOK = "reproduce.ipynb"

_SETUP = '''\
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
from IPython.display import SVG, Image, display

EXPERIMENT = Path({experiment!r})  # beside this notebook, with the files it names
QUICK = {quick!r}  # the profile the submission was built with
OUT = Path("build") / {out!r}
try:
    import reportgen
except ImportError:
    raise RuntimeError("reportgen is not importable from this kernel: run `bash scripts/setup.sh` in a clone of reportgen "
                       "and choose its .venv's Python as the kernel (or `.venv/bin/jupyter nbconvert --execute` this notebook)")
print("reportgen", reportgen.__file__, "on Python", sys.version.split()[0])'''

_BUILD = '''\
command = [sys.executable, "-m", "reportgen", "report", str(EXPERIMENT), "--out", str(OUT), *(["--quick"] if QUICK else [])]
done = subprocess.run(command, capture_output=True, text=True)
print(done.stdout[-4000:], done.stderr[-4000:], sep="\\n")
if done.returncode:
    raise RuntimeError(f"reportgen report failed (exit {done.returncode}); see above")'''

_TABLES = '''\
rebuilt = json.loads((OUT / "results.json").read_text())
submitted = json.loads(Path("results.json").read_text())
rows = []
for name, run in rebuilt["runs"].items():
    theirs = submitted.get("runs", {}).get(name, {})
    for metric, value in run.get("metrics", {}).items():
        if not metric.endswith(("_correct", "_total")):
            rows.append({"run": name, "metric": metric, "rebuilt": value, "std": run.get("std", {}).get(metric),
                         "submitted": theirs.get("metrics", {}).get(metric)})
numbers = pd.DataFrame(rows)
numbers["same"] = numbers["rebuilt"] == numbers["submitted"]
display(numbers.pivot(index="run", columns="metric", values="rebuilt").style.format("{:.4f}"))
display(numbers)
print("every number as submitted:", bool(numbers["same"].all()))'''

_FIGURES = '''\
for file in sorted((OUT / "figures").glob("*")):
    if file.suffix in (".png", ".svg"):
        print(file.name)
        display(Image(filename=str(file)) if file.suffix == ".png" else SVG(filename=str(file)))'''


def make_notebook(spec: ExperimentSpec, experiment: str, quick: bool) -> bytes:
    """The notebook as bytes (fixed cell ids, no outputs: the same experiment gives the same bytes)."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    out = f"{spec.name}-quick" if quick else spec.name
    who = ", ".join(spec.authors) or "(no authors given)"
    intro = (f"# {spec.title}\n\n{' - '.join(x for x in (spec.course, spec.pw) if x)}  \nAuthors: {who}"
             f"{f'; group {spec.group}' if spec.group else ''}\n\n"
             "This notebook rebuilds the report of this submission from the experiment file beside it: `reportgen report` "
             "trains what is not cached, then the numbers of `results.json` are shown beside the submitted ones, and the "
             "figures inline. Run it in the folder where `submission.zip` was unpacked, with a kernel whose Python has "
             "reportgen (`bash scripts/setup.sh` in a clone of reportgen makes `.venv`). Datasets are looked up on "
             "`REPORTGEN_DATA_PATH`; results are cached in `build/cache` (or `$REPORTGEN_CACHE`).")
    cells = [
        new_markdown_cell(intro, id="intro"),
        new_code_cell(_SETUP.format(experiment=experiment, quick=quick, out=out), id="setup"),
        new_markdown_cell("## Build the report\n\n`reportgen report`, as on the command line; "
                          f"`{out}/report.pdf` is the rebuilt report.", id="build-title"),
        new_code_cell(_BUILD, id="build"),
        new_markdown_cell("## Tables\n\nEvery metric of every run, rebuilt, beside the submitted `results.json` "
                          "(runs with seed replicates: the mean over the seeds, and their standard deviation).", id="tables-title"),
        new_code_cell(_TABLES, id="tables"),
        new_markdown_cell("## Figures\n\nAs drawn into the report, from the build folder.", id="figures-title"),
        new_code_cell(_FIGURES, id="figures"),
    ]
    notebook = new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
        "language_info": {"name": "python"}})
    nbformat.validate(notebook)
    return nbformat.writes(notebook).encode("utf-8")


def _cells(data: bytes) -> list[tuple[str, str, bool]] | None:
    """(type, source, whether it holds outputs) of each cell; None for what is not a notebook. Cell metadata and ids are
    not compared (a notebook re-saved by another Jupyter is still the generated one); outputs are: none is generated."""
    import json

    try:
        cells = json.loads(data.decode("utf-8")).get("cells")
        return [(str(c.get("cell_type")), "".join(c["source"]) if isinstance(c.get("source"), list) else str(c.get("source")),
                 bool(c.get("outputs")) or bool(c.get("attachments"))) for c in cells]
    except (ValueError, UnicodeDecodeError, AttributeError, TypeError, KeyError, RecursionError):
        return None


def same_notebook(generated: bytes, submitted: bytes) -> bool:
    """Whether a submitted notebook holds exactly the cells that make_notebook generates for its experiment."""
    theirs = _cells(submitted)
    return theirs is not None and theirs == _cells(generated)
