"""examples/api.ipynb, the worked notebook of the README's Python API, executes through nbclient."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def test_the_api_notebook_executes(demo_quick_build: Path, tmp_path: Path, monkeypatch) -> None:
    """In a copy of the repository's experiments/ and examples/, with the demo's quick cache: it trains nothing."""
    from nbclient import NotebookClient

    shutil.copytree(ROOT / "experiments", tmp_path / "experiments")
    shutil.copytree(ROOT / "examples", tmp_path / "examples", ignore=shutil.ignore_patterns("build", "typo.yaml"))
    monkeypatch.setenv("REPORTGEN_CACHE", str(demo_quick_build / "cache"))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    notebook = nbformat.read(tmp_path / "examples" / "api.ipynb", as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path / "examples")}}).execute()
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    shown = "".join(o.get("text", "") + "".join(o.get("data", {}).get(k, "") for k in ("text/plain", "text/html"))
                    for o in outputs)
    assert "test_accuracy" in shown and "Table 1." in shown and "report.pdf" in shown
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 1  # figure 1, displayed by itself
    assert "typo.yaml:" in shown and "unit" in shown  # the located one-line error, not a traceback
    assert (tmp_path / "examples" / "build" / "demo-quick" / "report.pdf").is_file()
