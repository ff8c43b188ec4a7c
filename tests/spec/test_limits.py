"""Bounds on untrusted experiment files: each is refused before the work, fast, with one located line."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from reportgen.cli import main
from reportgen.errors import SpecError
from reportgen.limits import ENV_VAR
from reportgen.spec import load_spec
from reportgen.spec.yamlsource import load_yaml

VALID = """\
title: t
datasets:
  d: {source: digits, flatten: true}
runs:
  a:
    model:
      - Dense: {units: 10, activation: softmax}
"""


def _write(tmp_path: Path, text: str, name: str = "e.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(SpecError) as info:
        load_spec(path)
    return info.value.problems


def _refused(path: Path, where: str, fragment: str) -> str:
    """The file is refused with exactly one problem, at `where` (LINE:COL), containing `fragment`."""
    problems = _problems(path)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{path}:{where}: "), problems[0]
    assert fragment in problems[0], problems[0]
    assert "\n" not in problems[0]
    return problems[0]


def _billion_laughs() -> str:
    names = "abcdefghi"
    lines = ["title: t", "a: &a [" + ", ".join(["lol"] * 9) + "]"]
    lines += [f"{n}: &{n} [" + ", ".join([f"*{p}"] * 9) + "]" for p, n in zip(names, names[1:])]
    return "\n".join(lines) + "\n"


# -- the YAML itself --------------------------------------------------------------------------------------------------

def _refused_in_child(path: Path) -> str:
    """load_spec(path) in a child process with a memory cap (an unbounded loader fails the test, not the machine):
    its one-line message, after checking it came in under 2 s."""
    script = textwrap.dedent(f"""
        import resource, time
        try:
            resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
        except (ValueError, OSError):
            pass
        from reportgen.errors import SpecError
        from reportgen.spec import load_spec
        start = time.perf_counter()
        try:
            load_spec({str(path)!r})
        except SpecError as exc:
            print(f"{{time.perf_counter() - start:.3f}}")
            print(exc)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-2000:]
    seconds, message = done.stdout.split("\n", 1)
    assert float(seconds) < 2
    assert message.startswith(f"{path}:") and message.strip().count("\n") == 0
    return message


def test_alias_bomb_is_refused_fast_and_small(tmp_path):
    path = _write(tmp_path, _billion_laughs())
    assert path.stat().st_size < 1024
    message = _refused_in_child(path)
    assert "yaml_nodes" in message and "aliases expanded" in message


@pytest.mark.parametrize("text, where", [
    ("title: t\nx: " + "[" * 10_000 + "]" * 10_000 + "\n", "2:67"),
    ("title: t\nx: " + "{a: " * 5_000 + "1" + "}" * 5_000 + "\n", "2:256"),
    ("title: t\nx:\n" + "".join(" " * i + "- \n" for i in range(200)), "66:64"),
], ids=["flow_lists", "flow_mappings", "block_lists"])
def test_deep_nesting_is_refused_fast(tmp_path, text, where):
    path = _write(tmp_path, text)
    start = time.perf_counter()
    message = _refused(path, where, "expected at most 64 levels of nesting")
    assert time.perf_counter() - start < 2
    assert "--limit yaml_depth=N" in message


def test_nesting_through_an_alias_counts_the_anchor_depth(tmp_path, monkeypatch):
    path = _write(tmp_path, "title: t\na: &a " + "[" * 40 + "]" * 40 + "\nb: " + "[" * 30 + "*a" + "]" * 30 + "\n")
    _refused(path, "3:34", "Received: 71 levels")
    monkeypatch.setenv(ENV_VAR, "yaml_depth=71")
    assert len(load_yaml(path).value["b"].plain()[0][0][0][0]) == 1


def test_an_alias_inside_its_own_anchor_is_refused(tmp_path):
    path = _write(tmp_path, "title: t\na: &a [1, *a]\n")
    _refused(path, "2:11", "inside its own anchor")


def test_a_file_over_the_byte_limit_is_refused_before_it_is_read(tmp_path):
    path = _write(tmp_path, VALID + "# " + "x" * 1_100_000 + "\n")
    _refused(path, "1:1", "expected at most 256,000 bytes in an experiment file. Received: 1,100,")


def test_too_many_values_are_refused(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, "yaml_bytes=1000000")  # the values, not the bytes, are what this test is about
    path = _write(tmp_path, VALID + "group: [" + ", ".join(["1"] * 100_001) + "]\n")
    start = time.perf_counter()
    _refused(path, "8:299931", "expected at most 100,000 YAML values")
    assert time.perf_counter() - start < 2


@pytest.mark.parametrize("content, where, byte", [
    (b"title: t\x80\n", "1:9", "0x80"),
    ("title: \u00e9t\u00e9\ngroup: ab".encode() + b"\xff\n", "2:10", "0xff"),
], ids=["ascii_line", "after_accents"])
def test_a_file_that_is_not_utf8_is_located(tmp_path, content, where, byte):
    path = tmp_path / "e.yaml"
    path.write_bytes(content)
    _refused(path, where, f"expected UTF-8 text. Received: the byte {byte}")


# -- runs and sweeps --------------------------------------------------------------------------------------------------

_SWEEP = VALID + "    sweep:\n" + "".join(f"      training.{key}: [{', '.join(str(v) for v in range(1, 11))}]\n"
                                     for key in ("epochs", "batch_size", "seed"))
_SWEEP += "      model[0].units: [" + ", ".join(str(v) for v in range(1, 11)) + "]\n"
_SWEEP += "      training.learning_rate: [" + ", ".join(f"0.{v}" for v in range(1, 11)) + "]\n"
_SWEEP += "      model[0].activation: [" + ", ".join(["relu"] * 10) + "]\n"


def test_a_sweep_of_a_million_runs_is_refused_before_it_is_expanded(tmp_path):
    path = _write(tmp_path, _SWEEP)
    start = time.perf_counter()
    message = _refused(path, "9:7", "runs.a.sweep: expected at most 512 runs in one experiment")
    assert time.perf_counter() - start < 1
    assert "a grid of 1,000,000 runs (10 x 10 x 10 x 10 x 10 x 10)" in message


def _many_sweeps(count: int) -> str:
    runs = "".join(f"  s{i}:\n    model: [{{Dense: 10}}]\n    sweep: {{training.seed: [{', '.join(map(str, range(100)))}]}}\n"
                   for i in range(count))
    return VALID + runs


def test_the_runs_of_all_sweeps_together_are_bounded(tmp_path):
    path = _write(tmp_path, _many_sweeps(6))  # 1 + 5 x 100 runs fit; the sixth sweep takes them to 601
    message = _refused(path, f"{8 + 3 * 5 + 2}:12", "runs.s5.sweep: expected at most 512 runs")
    assert "601 runs (501 before this sweep and a grid of 100 runs (100))" in message


def test_plain_runs_count_too(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, "runs=3")
    path = _write(tmp_path, VALID + "".join(f"  r{i}:\n    model: [{{Dense: 10}}]\n" for i in range(5)))
    _refused(path, "12:3", "runs.r2: expected at most 3 runs in one experiment")


def test_raising_the_runs_limit_lets_the_sweeps_through(tmp_path, monkeypatch):
    path = _write(tmp_path, _many_sweeps(6))
    _refused(path, "25:12", "expected at most 512 runs")
    monkeypatch.setenv(ENV_VAR, "runs=1000")
    assert len(load_spec(path).runs) == 601


# -- epochs, widths, figures ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, where, fragment", [
    (VALID + "training: {epochs: 1000000000}\n", "8:20", "training.epochs: expected at most 1,000 epochs of one run. "
                                                         "Received: 1,000,000,000"),
    (VALID + "    training: {epochs: 1000000000}\n", "8:24", "runs.a.training.epochs: expected at most 1,000 epochs"),
    (VALID + "    training: {fine_tune: {epochs: 1000000000}}\n", "8:36", "runs.a.training.fine_tune.epochs: expected at most 1,000"),
    (VALID + "    training: {epochs: 600, fine_tune: {epochs: 500}}\n", "8:49",
     "fine_tune.epochs: expected at most 1,000 epochs of one run. Received: 1,100 (600 then 500 fine-tuning)"),
    (VALID + "    sweep: {training.epochs: [5, 5000]}\n", "8:34", "expected at most 1,000 epochs"),
], ids=["default", "run", "fine_tune", "both_phases", "swept"])
def test_epochs_are_bounded(tmp_path, text, where, fragment):
    _refused(_write(tmp_path, text), where, fragment)


def test_raising_the_epochs_limit_lets_them_through(tmp_path, monkeypatch):
    path = _write(tmp_path, VALID + "training: {epochs: 2000}\n")
    _refused(path, "8:20", "expected at most 1,000 epochs")
    monkeypatch.setenv(ENV_VAR, "epochs=5000")
    assert load_spec(path).runs["a"].training.epochs == 2000


@pytest.mark.parametrize("layer, where, fragment", [
    ("Dense: {units: 1000000000, activation: softmax}", "7:24", "model[0].Dense.units: expected at most 65,536 units"),
    ("Dense: 1000000000", "7:16", "model[0].Dense.units: expected at most 65,536"),
    ("Conv2D: {filters: 100000, kernel_size: 3}", "7:27", "model[0].Conv2D.filters: expected at most 65,536"),
    ("Conv2D: {filters: 8, kernel_size: [3, 100000]}", "7:47", "model[0].Conv2D.kernel_size[1]: expected at most 65,536"),
    ("Conv1D: {filters: 8, kernel_size: 3, strides: 100000}", "7:55", "Conv1D.strides: expected at most 65,536"),
    ("MaxPooling2D: 100000", "7:23", "MaxPooling2D.pool_size: expected at most 65,536"),
    ("UpSampling2D: {size: 100000}", "7:30", "UpSampling2D.size: expected at most 65,536"),
    ("ZeroPadding2D: 100000", "7:24", "ZeroPadding2D.padding: expected at most 65,536"),
    ("Resizing: {height: 100000, width: 8}", "7:28", "Resizing.height: expected at most 65,536"),
    ("Reshape: [100000, 1]", "7:19", "Reshape.target_shape[0]: expected at most 65,536"),
    ("MobileNetV2: {input_size: 100000}", "7:35", "MobileNetV2.input_size: expected at most 65,536"),
], ids=["units", "units_short", "filters", "kernel", "strides", "pool", "upsampling", "padding", "resizing", "reshape",
        "backbone_input"])
def test_layer_widths_are_bounded_without_building(tmp_path, layer, where, fragment, capsys):
    path = _write(tmp_path, VALID.replace("Dense: {units: 10, activation: softmax}", layer))
    _refused(path, where, fragment)
    start = time.perf_counter()
    assert main(["validate", "--no-models", str(path)]) == 2
    assert time.perf_counter() - start < 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"{path}:{where}: ") and "\n" not in err and "Traceback" not in err


def test_repeat_block_values_are_bounded(tmp_path):
    block = "{repeat: 2, layers: [{Dense: 10}], each: {units: [10, 1000000000]}}"
    path = _write(tmp_path, VALID.replace("- Dense: {units: 10, activation: softmax}", f"- {block}\n      - Dense: 10"))
    _refused(path, "7:63", "each.units[1]: expected at most 65,536")


def test_a_billion_repeated_layers_are_refused_before_they_are_unrolled(tmp_path):
    block = "{repeat: 1000000000, layers: [{Dense: 10}]}"
    path = _write(tmp_path, VALID.replace("- Dense: {units: 10, activation: softmax}", f"- {block}\n      - Dense: 10"))
    message = _refused_in_child(path)
    assert message.startswith(f"{path}:7:9: runs.a.model[0]: expected at most 1,000 layers in one model, repeat blocks "
                              "unrolled. Received: 1,000,000,000 up to this item")


GRAPH = """\
title: t
datasets:
  d: {source: digits}
runs:
  a:
    model:
      nodes:
        x: [Flatten, {repeat: 600, layers: [{Dense: 10}]}]
        y: {inputs: input, layers: [Flatten, {repeat: 3, layers: [{repeat: 200, layers: [{Dense: 10}]}]}]}
        out: {inputs: [x, y], layers: [Add]}
"""


def test_the_layers_of_a_graph_s_nodes_count_together(tmp_path, monkeypatch):
    path = _write(tmp_path, GRAPH)
    _refused(path, "9:46", "runs.a.model.nodes.y.layers[1]: expected at most 1,000 layers in one model, repeat blocks "
                           "unrolled. Received: 1,202 up to this item")
    monkeypatch.setenv(ENV_VAR, "layers=2000")
    assert len(load_spec(path).runs["a"].model.layers) == 1203


def test_raising_the_width_limit_lets_it_through(tmp_path, monkeypatch):
    path = _write(tmp_path, VALID.replace("units: 10", "units: 100000"))
    _refused(path, "7:24", "expected at most 65,536")
    monkeypatch.setenv(ENV_VAR, "layer_width=200000")
    assert load_spec(path).runs["a"].model.layers[0].args["units"] == 100000


_FIGURE = VALID.replace("flatten: true", "flatten: false").replace(
    "      - Dense: {units: 10, activation: softmax}\n",
    "      - Conv2D: {filters: 4, kernel_size: 3, name: conv}\n      - Flatten\n      - Dense: {units: 10, activation: softmax}\n",
) + "report:\n  sections:\n    - title: s\n      content:\n        - "


@pytest.mark.parametrize("block, where, fragment", [
    ("weights: {run: a, columns: 1000000}", "14:38", "weights.columns"),
    ("filters: {run: a, layer: conv, columns: 1000000}", "14:51", "filters.columns"),
    ("activations: {run: a, layers: [conv], columns: 1000000}", "14:58", "activations.columns"),
], ids=["weights", "filters", "activations"])
def test_figure_grids_are_bounded(tmp_path, block, where, fragment):
    path = _write(tmp_path, _FIGURE + block + "\n")
    message = _refused(path, where, f"{fragment}: expected at most 1,024 images in one figure grid. Received: 1,000,000")
    assert "--limit figure_images=N" in message


def test_reconstruction_grids_are_bounded(tmp_path):
    text = VALID.replace("  a:\n", "  a:\n    task: reconstruct\n").replace("units: 10, activation: softmax", "units: 64")
    path = _write(tmp_path, text + "report:\n  sections:\n    - title: s\n      content:\n"
                              "        - reconstructions: {runs: [a], images: 1000000}\n")
    _refused(path, "13:48", "reconstructions.images: expected at most 1,024 images in one figure grid")


def test_raising_the_figure_limit_lets_it_through(tmp_path, monkeypatch):
    path = _write(tmp_path, _FIGURE + "weights: {run: a, columns: 2000}\n")
    _refused(path, "14:38", "expected at most 1,024 images")
    monkeypatch.setenv(ENV_VAR, "figure_images=4096")
    assert load_spec(path).sections[0].blocks[0].options["columns"] == 2000


@pytest.mark.parametrize("estimator, where", [
    ("{RandomForestClassifier: {n_estimators: 100000000}}", "10:56"),
    ("{KNeighborsClassifier: {n_neighbors: 1000000000}}", "10:53"),
    ("{SVC: {max_iter: 100000000}}", "10:33"),
])
def test_estimator_work_is_bounded(tmp_path, estimator, where):
    text = VALID + f"  svm:\n    dataset: d\n    estimator: {estimator}\n"
    _refused(_write(tmp_path, text), where, "expected at most 10,000 trees, neighbours, depth, degree or iterations")


def test_an_unknown_limit_is_one_line_with_the_known_ones(tmp_path, capsys):
    assert main(["validate", "--no-models", "--limit", "parms=5", str(_write(tmp_path, VALID))]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --limit: unknown limit 'parms'; known: yaml_bytes,") and "Did you mean 'params'?" in err


@pytest.mark.parametrize("line, fragment", [
    ("training: {learning_rate: 1.0e+400}", "learning_rate: expected a number > 0"),
    ("group: " + "9" * 5001, "2:8: expected a value Python can read"),
])
def test_values_python_cannot_use_are_located(tmp_path, line, fragment):
    text = VALID.replace("title: t\n", f"title: t\n{line}\n") if line.startswith("group") else VALID + line + "\n"
    problems = _problems(_write(tmp_path, text))
    assert len(problems) == 1 and fragment in problems[0], problems
