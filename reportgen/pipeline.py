"""build: an experiment file -> build/NAME/ (report.pdf, report.html, figures/, results.json), read top to bottom."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import write_text
from .errors import ReportgenError
from .numbers import count
from .run import Cache, run_experiment
from .run.executors import check_executor
from .run.runner import plan_keys
from .spec import ExperimentSpec, load_spec, select_sections

__all__ = ["BuildSummary", "NotebookSummary", "build", "notebook", "resolve_experiment"]

WORKBOOK = "cnn-ex1.xlsx"  # the name the PW04 sheet gives the convolution workbook (cnn-ex1-stud.xlsx)


@dataclass
class BuildSummary:
    """What a build did: which runs trained, which came from the cache, which failed and why, where the outputs are."""

    experiment: str
    out: Path
    trained: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    up_to_date: bool = False
    failed: dict[str, str] = field(default_factory=dict)  # run -> why ('loss became nan in epoch 3'); in the report too

    def failure_line(self) -> str:
        """'2 of 7 runs failed: mlp (loss became nan in epoch 3), cnn (...)', or '' when none did."""
        if not self.failed:
            return ""
        total = len({*self.trained, *self.cached, *self.failed})
        return (f"{len(self.failed)} of {count(total, 'run')} failed: "
                + ", ".join(f"{name} ({why})" for name, why in self.failed.items()))


def resolve_experiment(name: str, experiments: Path = Path("experiments")) -> Path:
    """A NAME in experiments/ or a path to a YAML file."""
    candidate = Path(name)
    if candidate.suffix in (".yaml", ".yml"):
        return candidate
    path = experiments / f"{name}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in experiments.glob("*.yaml")) if experiments.is_dir() else []
        from .registry import did_you_mean

        raise ReportgenError(f"unknown experiment '{name}': no {path}; known: {', '.join(known) or '(none)'}.{did_you_mean(name, known)}")
    return path


def build(name: str, quick: bool = False, force: bool = False, out: Path | None = None, cache_dir: Path | None = None,
          show_progress: bool = True, precision: str | None = None, sections: list[str] | None = None,
          train: bool = True, executor: str = "local", address: str | None = None) -> BuildSummary:
    """Load the spec, train or fetch every run, draw the figures, write the report and results.json. With `sections`
    (numbers or parts of titles), only those sections and the runs they need, into build/NAME-sections-N/. Runs train
    on `executor` ('local', or 'ray': one Ray task each, on the cluster at `address` or a local instance)."""
    check_executor(executor, address)
    path = resolve_experiment(name)
    spec = load_spec(path)
    spec = select_sections(spec, sections) if sections else spec
    spec = spec.with_profile("quick" if quick else "full")
    spec = spec.with_precision(precision) if precision else spec
    suffix = "".join([f"-sections-{'-'.join(s.split('.')[0] for s in spec.selected)}" if spec.selected else "",
                      "-quick" if quick else ""])
    out = _folder(out or Path("build") / f"{spec.name}{suffix}", "--out (the build folder)")
    cache = Cache(_folder(cache_dir or Path(os.environ.get("REPORTGEN_CACHE", "build/cache")), "--cache (the result cache)"))
    summary = BuildSummary(spec.name, out)

    keys = plan_keys(spec, cache)
    stamp = _stamp(spec, keys)
    if not force and _is_current(out, stamp, spec) and all(cache.trusted(k) for k in keys.values()):
        summary.up_to_date, summary.cached = True, list(spec.runs)
        summary.failed = _failures(cache, keys)
        return summary

    results = run_experiment(spec, cache, force=force, show_progress=show_progress, train=train, executor=executor,
                             address=address)
    summary.trained = [n for n, r in results.items() if not r.from_cache]
    summary.cached = [n for n, r in results.items() if r.from_cache]
    summary.failed = {n: r.failure for n, r in results.items() if r.failed}
    _render(spec, results, out)
    write_text(out / ".stamp", stamp)  # last: the outputs are current only once all of them are written
    return summary


@dataclass
class NotebookSummary:
    """What `notebook` wrote: the notebook, how many runs' weights, what could not be exported, how long it ran."""

    path: Path
    weights: int
    problems: list[str]
    seconds: float | None  # executing it; None when not executed


def notebook(name: str, quick: bool = False, out: Path | None = None, cache_dir: Path | None = None, execute: bool = True,
             show_progress: bool = True, sections: list[str] | None = None) -> NotebookSummary:
    """The report (built, or up to date), then build/NAME/NAME.ipynb: plain Keras code for every run, each run's weights
    and history beside it in notebook/, executed with nbclient unless execute=False."""
    from .notebook.execute import execute_notebook
    from .notebook.write import WEIGHTS, export_weights, notebook_cells, notebook_inputs, write_notebook
    from .run.datasets import locate_dataset

    summary = build(name, quick=quick, out=out, cache_dir=cache_dir, show_progress=show_progress, sections=sections)
    spec = load_spec(resolve_experiment(name))
    spec = select_sections(spec, sections) if sections else spec
    spec = spec.with_profile("quick" if quick else "full")
    cache = Cache(cache_dir or Path(os.environ.get("REPORTGEN_CACHE", "build/cache")))
    results = run_experiment(spec, cache, show_progress=False, train=False)
    from .quiet import import_keras, native_stderr_silenced

    import_keras()  # the layer names and saved backbones are Keras'; its start-up lines are not the user's business
    inputs = notebook_inputs(spec, results, locate_dataset, os.environ.get("KERAS_BACKEND", "tensorflow"))
    cells, problems = notebook_cells(spec, inputs)
    path = summary.out / f"{spec.name}.ipynb"
    weights = export_weights(spec, results, summary.out / WEIGHTS)
    write_notebook(cells, path, inputs)
    with native_stderr_silenced():  # the kernel's TensorFlow start-up lines; every cell's output is in the notebook
        seconds = execute_notebook(path) if execute else None
    return NotebookSummary(path, weights, problems, seconds)


def _folder(path: Path, what: str) -> Path:
    """A folder to write into: absent (made when needed) or a folder, never a file or a folder whose parent is a file."""
    path = Path(path)
    taken = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), None)
    if taken is not None:
        raise ReportgenError(f"{what}: {path} cannot be a folder: {taken} is a file", hint="give a folder, or remove the file")
    return path


def _failures(cache: Cache, keys: dict[str, str]) -> dict[str, str]:
    """{run: why} of the failed runs among these cache entries (an up-to-date build still says which failed); keys
    are plan_keys' ('mlp', 'mlp@seed=1' for another seed of mlp)."""
    from .run.result import failure_of

    failed: dict[str, str] = {}
    for label, key in keys.items():
        failure = failure_of(cache.read(key))
        name, _, seed = label.partition("@seed=")
        if failure and name not in failed:
            failed[name] = f"seed {seed}: {failure}" if seed else failure
    return failed


def _render(spec: ExperimentSpec, results: dict, out: Path) -> None:
    from .report import build_context, figure_plan, render_html, render_pdf, resolve_best

    spec = resolve_best(spec, results)  # `run: best` figures are drawn of the run the results choose
    out.mkdir(parents=True, exist_ok=True)
    (out / ".stamp").unlink(missing_ok=True)  # the outputs are being replaced
    if spec.convolution is not None:
        from .workbook import write_conv_workbook

        write_conv_workbook(spec.convolution, out / WORKBOOK)
    _draw_figures(figure_plan(spec), results, out)
    built = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
    context = build_context(spec, results, built)
    html = render_html(context)
    pdf = out / f".report.pdf.{os.getpid()}.tmp"
    try:  # the PDF first: a disk that fills while it is written leaves the previous HTML and PDF as a pair
        os.replace(render_pdf(html, out, pdf), out / "report.pdf")
    finally:
        pdf.unlink(missing_ok=True)
    write_text(out / "report.html", html)
    payload = {"experiment": spec.name, "profile": spec.profile, **({"sections": list(spec.selected)} if spec.selected else {}), "runs": {n: r.summary() for n, r in results.items()}}
    write_text(out / "results.json", json.dumps(payload, indent=2))


def _draw_figures(plan: list[dict], results: dict, out: Path) -> None:
    """Draw the figures whose inputs changed; one drawn from the same results by the same code is kept."""
    stamps_file = out / "figures" / ".stamps.json"
    try:
        old = json.loads(stamps_file.read_text())
    except (OSError, ValueError):
        old = {}
    code = _digest(sorted((Path(__file__).parent / "figures").glob("*.py")))
    stamps = {}
    for item in plan:
        options = item["options"]
        runs = options.get("runs") or [options["run"]]
        stamps[item["file"]] = hashlib.sha256(json.dumps({"options": options, "results": [results[r].keys for r in runs], "code": code},
                                                         sort_keys=True).encode()).hexdigest()
    todo = [item for item in plan if old.get(item["file"]) != stamps[item["file"]] or not (out / item["file"]).is_file()]
    if todo:
        from .figures import FIGURES, save_drawing, save_figure  # matplotlib: imported only when something is drawn

        for item in todo:
            drawn = FIGURES.get(item["options"]["kind"])(item["options"], results)
            (save_drawing if isinstance(drawn, bytes) else save_figure)(drawn, out / item["file"])
    stamps_file.parent.mkdir(parents=True, exist_ok=True)
    write_text(stamps_file, json.dumps(stamps, indent=1, sort_keys=True))


def _digest(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for source in files:
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def _stamp(spec: ExperimentSpec, keys: dict[str, str]) -> str:
    """A hash of everything the outputs depend on: the spec, the results' keys, templates and this code."""
    from .report.html import templates_dir

    digest = hashlib.sha256(repr(spec).encode())
    digest.update(json.dumps(keys, sort_keys=True).encode())
    digest.update(_digest(sorted(Path(__file__).parent.rglob("*.py")) + sorted(templates_dir().glob("*"))).encode())
    return digest.hexdigest()


def _is_current(out: Path, stamp: str, spec: ExperimentSpec) -> bool:
    outputs = [out / "report.pdf", out / "report.html", out / "results.json", out / ".stamp"]
    outputs += [out / WORKBOOK] if spec.convolution is not None else []
    return all(p.is_file() for p in outputs) and (out / ".stamp").read_text() == stamp
