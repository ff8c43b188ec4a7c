"""The submission's notebook runs from a fresh unpacked copy: `jupyter nbconvert --execute`, rebuilding the report there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from importlib.util import find_spec
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not (find_spec("nbconvert") and find_spec("ipykernel")),
                                reason="needs nbconvert and ipykernel (pip install -e '.[test]', as scripts/setup.sh does)")


def test_the_notebook_rebuilds_the_report_and_shows_its_numbers_and_figures(demo_submission: Path, demo_cache: Path,
                                                                            tmp_path: Path) -> None:
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(demo_submission) as archive:
        archive.extractall(folder)  # our own zip: its names are known
    # The grader's cache holds the runs, so the notebook's `reportgen report` trains nothing (a student's machine would).
    env = {**os.environ, "REPORTGEN_CACHE": str(demo_cache)}
    done = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "reproduce.ipynb",
                           "--output", "executed.ipynb", "--ExecutePreprocessor.timeout=600",
                           "--ExecutePreprocessor.kernel_name=python3"],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    notebook = json.loads((folder / "executed.ipynb").read_text())
    outputs = [output for cell in notebook["cells"] if cell["cell_type"] == "code" for output in cell["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"]
    text = "".join("".join(o.get("text", "")) for o in outputs if o["output_type"] == "stream")
    assert "every number as submitted: True" in text and "reportgen" in text
    assert sum("text/html" in o.get("data", {}) for o in outputs) >= 2  # the tables, shown by pandas
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 4  # the demo's four figures, inline
    assert (folder / "build" / "demo-quick" / "report.pdf").is_file()
