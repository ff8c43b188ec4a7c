"""tasks.py through the plain `invoke` command: every task's --help, and a mistyped option in one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
INVOKE = Path(sys.executable).with_name("invoke")  # the virtual environment's, beside its python

pytestmark = pytest.mark.skipif(not INVOKE.is_file(), reason="invoke is not installed beside this python")


def _invoke(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(INVOKE), *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("args", [["grade", "--help"], ["report", "--help"], ["submit", "-h"], ["test", "--help"],
                                  ["grade", "zips", "--help"], ["report", "demo", "--help"],
                                  ["notebook", "demo", "--help"]])
def test_every_task_prints_its_help(args: list[str]) -> None:
    """Also a task with positional arguments (invoke took `--help` for one: 'did not receive required positional
    arguments', or report's own argparse help from `reportgen report --help`)."""
    done = _invoke(*args)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Usage: inv[oke] [--core-opts] {args[0]} [--options]") and "Docstring:" in done.stdout
    assert "Options:" in done.stdout and not done.stderr


@pytest.mark.parametrize(("args", "line"), [
    (["report", "demo", "--quik"], "error: unknown option '--quik'. Did you mean '--quick'?"),
    (["report", "--quik", "demo"], "error: unknown option '--quik'. Did you mean '--quick'?"),  # invoke took it for NAME
    (["grade", "zips", "--refrence", "pw04"], "error: unknown option '--refrence'. Did you mean '--reference'?"),
    (["test", "--zzzz"], "error: unknown option '--zzzz'. See 'invoke --help test'."),
])
def test_a_mistyped_option_is_one_line_with_the_closest_known_one(args: list[str], line: str) -> None:
    done = _invoke(*args)
    assert done.returncode == 2 and done.stderr.splitlines() == [line] and not done.stdout
