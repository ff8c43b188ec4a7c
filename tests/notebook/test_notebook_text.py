"""Student text reaches a notebook's code only as literals and its Markdown only as text: names that close strings,
keywords as node names, scripts in titles and answers."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import nbformat

from reportgen.cli import main

EVIL = '''\
title: "Evil <script>alert(1)</script> [x](javascript:alert(2))"
course: "a\\n# heading"
datasets:
  d: {source: digits}
training: {epochs: 1, batch_size: 64}
quick: {train: 100, test: 50, epochs: 1}
runs:
  r1:
    title: "a\\"); import os; os.system('x') #"
    model:
      - Conv2D: {filters: 4, kernel_size: 3, name: "conv.x"}
      - Flatten
      - Dense: {units: 10, activation: softmax}
  g:
    title: "<img src=x onerror=alert(3)>"
    model:
      nodes:
        "import": [Flatten, Dense: {units: 8, name: "class"}]
        "lambda": {inputs: import, layers: [Dense: {units: 10, activation: softmax}]}
report:
  sections:
    - title: "S <img src=x onerror=alert(1)> `code` **b**"
      content:
        - markdown: "hi <script>alert(3)</script> [l](javascript:alert(4)) ![i](http://x/y.png)\\n\\n# head\\n\\n    indented"
        - table: {runs: [r1, g], columns: [run, test_accuracy], caption: "a ') + os.system('x"}
'''


def test_hostile_text_makes_no_statement_and_no_markup(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "evil.yaml").write_text(EVIL)
    monkeypatch.chdir(tmp_path)
    assert main(["notebook", "evil.yaml", "--quick", "--out", "out", "--cache", "cache"]) == 0
    notebook = nbformat.read(tmp_path / "out" / "evil.ipynb", as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            tree = ast.parse(cell.source)  # every cell is Python
            calls = {node.func.attr for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)}
            assert "system" not in calls
            helpers = "RETRAIN = False" in cell.source or "def " in cell.source and "import " in cell.source.split("def ")[0]
            imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
            assert helpers or all(isinstance(n, ast.ImportFrom) and n.module.startswith("sklearn.") for n in imports)
            assert not any(o.output_type == "error" for o in cell.outputs)
        else:
            text = cell.source
            assert not re.search(r"<(script|img|iframe)\b", text) and not re.search(r"<[^>]*\bon\w+=", text)  # as text only
            assert "](" not in text and "javascript:" not in text.replace("javascript:alert&#40;", "")  # text, never a link
            assert "\n# heading" not in text
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    assert "def build_g():" in code and "import_2 = keras.layers.Flatten(" in code and "lambda_2 = keras.layers.Dense(" in code
    printed = json.loads(next(c for c in notebook.cells if "reportgen-metrics" in c.metadata.get("tags", [])).outputs[0]["text"])
    results = json.loads((tmp_path / "out" / "results.json").read_text())["runs"]
    assert {name: next(iter(seeds.values()))["test_accuracy"] for name, seeds in printed.items()} == {n: r["metrics"]["test_accuracy"] for n, r in results.items()}


def test_a_run_that_cannot_be_exported_is_one_line_and_the_rest_is_written(tmp_path: Path, monkeypatch, capsys) -> None:
    """A backbone started from a weights file: not exported, named in one line (exit 1); the other run is in the notebook."""
    import keras

    from weightfiles import write_imagenet_weights  # noqa: F401  (the suite's writer of backbone weights)

    keras.utils.set_random_seed(0)
    keras.applications.MobileNetV2(include_top=False, weights=None, input_shape=(32, 32, 3), alpha=0.35).save_weights(
        tmp_path / "mine.weights.h5")
    (tmp_path / "own.yaml").write_text(
        "title: Own weights\ndatasets:\n  d: {source: digits}\ntraining: {epochs: 1}\nquick: {train: 60, test: 30, epochs: 1}\n"
        "runs:\n  plain:\n    model: [Flatten, Dense: {units: 10, activation: softmax}]\n"
        "  mine:\n    model:\n      - MobileNetV2: {weights: mine.weights.h5, alpha: 0.35, input_size: 32, pooling: avg}\n"
        "      - Dense: {units: 10, activation: softmax}\n"
        "report:\n  sections:\n    - title: S\n      content:\n        - table: {runs: [plain, mine]}\n")
    monkeypatch.chdir(tmp_path)
    code = main(["notebook", "own.yaml", "--quick", "--out", "out", "--cache", "cache"])
    out = capsys.readouterr().err
    assert code == 1 and "not exported: run 'mine': backbone MobileNetV2 starts from a weights file" in out
    notebook = nbformat.read(tmp_path / "out" / "own.ipynb", as_version=4)
    assert any(c.source.startswith("def build_plain(") for c in notebook.cells)
    assert not any(o.output_type == "error" for c in notebook.cells if c.cell_type == "code" for o in c.outputs)
