"""A full disk (a file-size limit, as `ulimit -f` sets) is a one-line error naming the folder; nothing is half-written."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from datafiles import ONE_RUN as BASE_RUN
from reportgen.run import Cache

ROOT = Path(__file__).resolve().parents[1]

ONE_RUN = BASE_RUN + "        - curves: {runs: [dense]}\n"


def _build(tmp: Path, file_limit: int) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

    env = {**os.environ, "REPORTGEN_KEY": str(tmp / "key"), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-m", "reportgen", "report", str(tmp / "one.yaml"), "--out", str(tmp / "out"),
                           "--cache", str(tmp / "cache")], cwd=ROOT, env=env, capture_output=True, text=True,
                          preexec_fn=limit, timeout=300)


def test_a_full_disk_is_one_line_and_leaves_nothing_half_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The run's entry fits under the limit, the PDF does not (tests/run/test_cache.py fills the disk under an entry)."""
    monkeypatch.setenv("REPORTGEN_KEY", str(tmp_path / "key"))
    (tmp_path / "one.yaml").write_text(ONE_RUN)
    done = _build(tmp_path, 40_000)
    assert done.returncode == 2, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "cannot write" in last and "Traceback" not in done.stderr, done.stderr
    assert str(tmp_path) in last, last  # names the folder
    cache = Cache(tmp_path / "cache")
    entries = [p for p in (tmp_path / "cache").glob("??/*") if p.is_dir()]
    assert all(cache.trusted(p.name) for p in entries)  # an entry is whole and sealed, or absent
    assert not list((tmp_path / "cache").glob(".tmp-*"))
    out = tmp_path / "out"
    assert not [p for p in out.rglob("*") if ".tmp" in p.name] if out.exists() else True
    if (out / "results.json").exists():
        json.loads((out / "results.json").read_text())
    assert not (out / ".stamp").exists()  # the next build renders again
    assert "cannot write the PDF in" in last and not (out / "report.pdf").exists()
