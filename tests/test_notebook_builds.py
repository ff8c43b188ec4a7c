"""Every shipped experiment's notebook, as the quick builds wrote it (tests/background_builds.py; collected after the
unit tests so that the builds overlap them): executed by `jupyter nbconvert --execute` in a kernel where `import reportgen`
fails, it reproduces the report's numbers."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from background_builds import execute_without_reportgen, pw12_environment, cifar_environment, mnist_environment
from reportgen.notebook.write import METRICS_TAG

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = ["demo", "pw04", "pw09", "pw12", "sat-pa3", "i2dl-ex8"]


def _folder(request: pytest.FixtureRequest, name: str) -> Path:
    return request.getfixturevalue(f"{name.replace('-', '_')}_quick_build")


def notebook_metrics(path: Path) -> dict[str, dict[str, dict[str, float]]]:
    """{run: {seed: metrics}} as the executed notebook printed them in its tagged cell."""
    notebook = nbformat.read(path, as_version=4)
    cell = next(c for c in notebook.cells if METRICS_TAG in c.get("metadata", {}).get("tags", []))
    return json.loads("".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream"))


def same_as_results(metrics: dict, results: dict) -> list[str]:
    """Every metric of every replicate the report has, and the notebook's value where it differs."""
    differ = []
    for name, run in results.items():
        replicates = run.get("replicates") or [{**run, "seed": None}]
        seeds = metrics.get(name, {})
        assert len(seeds) == len(replicates), name
        for replicate, ours in zip(replicates, seeds.values()):
            differ += [f"{name} seed {replicate['seed']}: {key} {value} != {ours.get(key)}"
                       for key, value in replicate["metrics"].items() if ours.get(key) != value]
    return differ


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_the_executed_notebook_reproduces_every_number(request: pytest.FixtureRequest, name: str) -> None:
    out = _folder(request, name) / "out"
    notebook = nbformat.read(out / f"{name}.ipynb", as_version=4)
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    assert all(c.execution_count for c in notebook.cells if c.cell_type == "code")
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    assert "reportgen" not in re.sub(r"#.*", "", code)  # the code imports keras, numpy, pandas, matplotlib, sklearn
    assert "dtype='uint8'" not in code and 'dtype="uint8"' in code  # formatted by ruff (the generator writes '')
    results = json.loads((out / "results.json").read_text())["runs"]
    assert not same_as_results(notebook_metrics(out / f"{name}.ipynb"), results)


def _build_functions(notebook) -> dict[str, str]:
    """run name -> the name of the function the notebook builds its model with (the Markdown heading above it)."""
    functions, runs = {}, []
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("### "):
            runs = [html.unescape(n) for n in re.findall(r"<code>(.*?)</code>", cell.source.splitlines()[0])]
        elif cell.cell_type == "code" and (match := re.match(r"def (build_\w+)\(", cell.source)):
            functions.update({run: match.group(1) for run in runs})
            runs = []
    return functions


ENVIRONMENTS = {"pw04": cifar_environment, "pw09": cifar_environment, "pw12": pw12_environment, "sat-pa3": mnist_environment,
                "i2dl-ex8": mnist_environment}


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_every_model_of_the_notebook_is_reportgens(request: pytest.FixtureRequest, name: str, monkeypatch) -> None:
    """The notebook's build functions give, for every run, the layers (names, output shapes, parameters) build_model does."""
    import keras

    from reportgen.model import build_model
    from reportgen.notebook.kit_data import file_name
    from reportgen.notebook.runs import group_runs
    from reportgen.spec import load_spec

    folder = _folder(request, name)
    if name in ENVIRONMENTS:
        env = {"pw12": pw12_environment}.get(name, lambda f: {"REPORTGEN_DATA_PATH": str(f / "data"), "KERAS_HOME": str(f / "keras")})(folder)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
    out = folder / "out"
    notebook = nbformat.read(out / f"{name}.ipynb", as_version=4)
    namespace = {"WEIGHTS": out / "notebook", "RETRAIN": False, "BATCH_VALUES": 1 << 30}
    for cell in notebook.cells:
        if cell.cell_type == "code" and ("STEPS_PER_EXECUTION" in cell.source or re.match(r"def build_\w+\(", cell.source)):
            exec(compile(cell.source, f"<{name} notebook>", "exec"), namespace)
    functions = _build_functions(notebook)
    spec = load_spec(ROOT / "experiments" / f"{name}.yaml").with_profile("quick")
    results = json.loads((out / "results.json").read_text())["runs"]
    compared = 0
    for group in group_runs(list(spec.runs.values())):
        for run, values in zip(group.runs, group.values):
            if run.kind == "estimator" or run.start is not None:  # children: their numbers are compared above
                continue
            record = json.loads(next((folder / "cache").glob(f"??/{results[run.name]['cache_key']}/result.json")).read_text())
            function = namespace[functions[run.name]]
            kwargs = dict(values)
            if "saved" in function.__code__.co_varnames:
                kwargs["saved"] = file_name(run.name, run.training.seed)
            ours = function(**kwargs)
            theirs = build_model(run.model, spec.datasets[run.dataset], tuple(record["input_shape"]),
                                 record["dataset"]["max_value"], run.name, base=ROOT / "experiments")

            def layers(model):
                return [(layer.name, tuple(layer.output.shape), layer.count_params()) for layer in model.layers
                        if not isinstance(layer, keras.layers.InputLayer)]

            assert layers(ours) == layers(theirs), run.name
            assert ours.count_params() == theirs.count_params() == record["params"]
            compared += 1
    assert compared


def test_pw12_graphs_have_reportgens_names_and_parameters(pw12_quick_build: Path) -> None:
    """The multipath and residual models, as the notebook writes them: the functional API, reportgen's layer names."""
    notebook = nbformat.read(pw12_quick_build / "out" / "pw12.ipynb", as_version=4)
    sources = {f: next(c.source for c in notebook.cells if c.source.startswith(f"def {f}(")) for f in ("build_multipath", "build_residual")}
    assert "keras.layers.Add(name=" in sources["build_residual"] and "keras.Model(inputs," in sources["build_multipath"]
    results = json.loads((pw12_quick_build / "out" / "results.json").read_text())["runs"]
    printed = "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for c in notebook.cells
                      for o in c.get("outputs", []))
    for run in ("multipath", "residual"):  # model.summary() in the executed notebook
        assert f"{results[run]['params']:,}" in printed or f"{results[run]['params']}" in printed.replace(",", "")


def _squash(text: str) -> str:
    """Text without its white space: a cell the PDF wraps over lines (or hyphenates at a line end) reads as one."""
    return re.sub(r"\s+", "", text)


def _frames(notebook) -> list[list[dict[str, str]]]:
    """Each table cell's DataFrame, as its HTML output shows it: one {header: cell} per row."""
    frames = []
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.source.startswith("# Table"):
            markup = next(o["data"]["text/html"] for o in cell.outputs if o.output_type == "execute_result")
            headers = [html.unescape(h) for h in re.findall(r"<th>(.*?)</th>", markup.split("</thead>")[0])][1:]
            rows = [[html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", row)]
                    for row in markup.split("<tbody>")[1].split("</tr>") if "<td>" in row]
            frames.append([dict(zip(headers, row)) for row in rows])
    return frames


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (pdftotext)")
@pytest.mark.parametrize("name", ["demo", "pw12"])
def test_the_notebooks_tables_are_the_pdfs(request: pytest.FixtureRequest, name: str) -> None:
    """Each result cell of each table DataFrame is printed in the PDF on its run's row."""
    out = _folder(request, name) / "out"
    frames = _frames(nbformat.read(out / f"{name}.ipynb", as_version=4))
    from reportgen.notebook.kit_report import RESULT_COLUMNS
    from reportgen.report.tables import COLUMNS

    headers = {COLUMNS.get(c).header for c in RESULT_COLUMNS}
    text = _squash(subprocess.run(["pdftotext", "-raw", str(out / "report.pdf"), "-"], capture_output=True, text=True,
                                  check=True).stdout)
    checked, position = 0, 0
    for frame in frames:
        starts = []
        for row in frame:  # the rows in the order the PDF prints them, each after the one before, found by their Run cell
            position = text.index(_squash(row["Run"]), position)
            starts.append(position)
        for row, start, end in zip(frame, starts, [*starts[1:], starts[-1] + 600]):
            for header, cell in row.items():
                if header in headers and cell != "n/a":
                    assert _squash(cell) in text[start:end], (row["Run"], header, cell, text[start:end])
                    checked += 1
    assert checked >= 6


def test_retrain_gives_the_same_numbers_bit_for_bit(demo_quick_build: Path, tmp_path: Path) -> None:
    """RETRAIN = True in a copy without the exported weights: every run trained again, every metric equal (TensorFlow)."""
    source = demo_quick_build / "out" / "demo.ipynb"
    notebook = nbformat.read(source, as_version=4)
    setup = next(c for c in notebook.cells if "RETRAIN = False" in c.source)
    setup.source = setup.source.replace("RETRAIN = False", "RETRAIN = True")
    nbformat.write(notebook, tmp_path / "demo.ipynb")
    assert execute_without_reportgen(tmp_path / "demo.ipynb", tmp_path / "nbconvert.log") == 0, (tmp_path / "nbconvert.log").read_text()[-3000:]
    assert len(list((tmp_path / "notebook").glob("*.weights.npz"))) == 9  # trained and saved here
    results = json.loads((demo_quick_build / "out" / "results.json").read_text())["runs"]
    assert not same_as_results(notebook_metrics(tmp_path / "demo.ipynb"), results)
