"""invoke tasks: `invoke report NAME [--quick] [--force]`, `invoke test`."""

from __future__ import annotations

import sys

from invoke import task


@task(help={"name": "experiment in experiments/ (e.g. demo, pw04)", "quick": "smoke build on a subset", "force": "retrain every run",
            "mixed_precision": "train in mixed_bfloat16 (GPUs)",
            "section": "only these report sections (numbers or parts of titles, comma-separated) and the runs they need"})
def report(c, name, quick=False, force=False, mixed_precision=False, section=""):
    """Build experiments/NAME.yaml into build/NAME/."""
    from reportgen.cli import main

    flags = [flag for flag, on in (("--quick", quick), ("--force", force), ("--mixed-precision", mixed_precision)) if on]
    flags += [arg for s in section.split(",") if s.strip() for arg in ("--section", s.strip())]
    code = main(["report", name, *flags])
    if code:
        sys.exit(code)


@task(help={"k": "only tests matching this expression"})
def test(c, k=""):
    """Run the test suite."""
    c.run(f"{sys.executable} -m pytest -q" + (f" -k '{k}'" if k else ""), pty=False)
