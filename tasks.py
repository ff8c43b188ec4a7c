"""invoke tasks: `invoke report NAME [--quick] [--force]`, `invoke test`."""

from __future__ import annotations

import sys

from invoke import task


@task(help={"name": "experiment in experiments/ (e.g. demo, pw04)", "quick": "smoke build on a subset", "force": "retrain every run"})
def report(c, name, quick=False, force=False):
    """Build experiments/NAME.yaml into build/NAME/."""
    from reportgen.cli import main

    code = main(["report", name, *(["--quick"] if quick else []), *(["--force"] if force else [])])
    if code:
        sys.exit(code)


@task(help={"k": "only tests matching this expression"})
def test(c, k=""):
    """Run the test suite."""
    c.run(f"{sys.executable} -m pytest -q" + (f" -k '{k}'" if k else ""), pty=False)
