"""Execute a notebook in place with nbclient, in its own folder; a failing cell is one line naming it."""

from __future__ import annotations

import re
import time
from pathlib import Path

from ..errors import ReportgenError

__all__ = ["execute_notebook"]


def execute_notebook(path: Path, timeout: int = 1800, kernel: str = "python3") -> float:
    """Run every cell of the notebook at `path` (outputs saved into it); the seconds it took."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=timeout, kernel_name=kernel, resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError) as exc:
        nbformat.write(notebook, path)  # the outputs up to the failing cell, to read
        lines = [line for line in re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).splitlines() if line.strip()]
        raise ReportgenError(f"{path}: a cell failed when executed: {lines[-1] if lines else type(exc).__name__}",
                             hint="the outputs up to it are saved in the notebook") from None
    nbformat.write(notebook, path)
    return time.perf_counter() - start
