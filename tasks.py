"""invoke tasks: `invoke report NAME [--quick] [--force]`, `invoke submit NAME`, `invoke test`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from invoke import task

# The real data subsets (notmnist-10k/, mnist-5k/) that pw12, sat-pa3 and i2dl-ex8 name lie in shared/data beside the checkout;
# experiment files may only name folders on REPORTGEN_DATA_PATH (or inside their own folder), so that one is added to it.
SHARED_DATA = Path(__file__).resolve().parent.parent / "shared" / "data"


def with_shared_data(value: str) -> str:
    """REPORTGEN_DATA_PATH with ../shared/data appended when it exists and is not listed yet."""
    entries = [entry for entry in value.split(os.pathsep) if entry.strip()]
    if SHARED_DATA.is_dir() and str(SHARED_DATA) not in entries:
        entries.append(str(SHARED_DATA))
    return os.pathsep.join(entries)


@task(help={"name": "experiment in experiments/ (e.g. demo, pw04)", "quick": "smoke build on a subset", "force": "retrain every run",
            "mixed_precision": "train in mixed_bfloat16 (GPUs)",
            "section": "only these report sections (numbers or parts of titles, comma-separated) and the runs they need",
            "executor": "where runs train: local (default) or ray (one Ray task per run)",
            "address": "with --executor ray: the cluster (auto, ray://HOST:PORT); default a local Ray instance"})
def report(c, name, quick=False, force=False, mixed_precision=False, section="", executor="local", address=""):
    """Build experiments/NAME.yaml into build/NAME/."""
    from reportgen.cli import main

    flags = [flag for flag, on in (("--quick", quick), ("--force", force), ("--mixed-precision", mixed_precision)) if on]
    flags += ["--executor", executor] + (["--address", address] if address else [])
    flags += [arg for s in section.split(",") if s.strip() for arg in ("--section", s.strip())]
    os.environ["REPORTGEN_DATA_PATH"] = with_shared_data(os.environ.get("REPORTGEN_DATA_PATH", ""))
    code = main(["report", name, *flags])
    if code:
        sys.exit(code)


@task(help={"folder": "folder of the submission .zip files", "reference": "the grader's experiment (pw04 or experiments/pw04.yaml)",
            "out": "output folder (default build/grade-FOLDER)", "executor": "local (default) or ray",
            "address": "with --executor ray: the Ray cluster to join",
            "quick": "grade at the reference's quick profile (to try the grading on quick submissions)"})
def grade(c, folder, reference, out="", executor="local", address="", quick=False):
    """Verify every submission in FOLDER against the reference: grades.xlsx, grades.json, leaderboard.pdf."""
    from reportgen.cli import main

    flags = [arg for flag, value in (("--out", out), ("--executor", executor), ("--address", address)) if value for arg in (flag, value)]
    flags += ["--quick"] if quick else []
    os.environ["REPORTGEN_DATA_PATH"] = with_shared_data(os.environ.get("REPORTGEN_DATA_PATH", ""))
    code = main(["grade", folder, "--reference", reference, *flags])
    if code:
        sys.exit(code)


@task(help={"name": "experiment in experiments/ (e.g. pw04)", "quick": "pack a quick build (needs --allow-quick)",
            "allow_quick": "accept a quick build (a smoke test of the submission itself)"})
def submit(c, name, quick=False, allow_quick=False):
    """Pack build/NAME (built first if missing or out of date) into build/NAME/submission.zip."""
    from reportgen.cli import main

    flags = [flag for flag, on in (("--quick", quick), ("--allow-quick", allow_quick)) if on]
    os.environ["REPORTGEN_DATA_PATH"] = with_shared_data(os.environ.get("REPORTGEN_DATA_PATH", ""))
    code = main(["submit", name, *flags])
    if code:
        sys.exit(code)


@task(help={"k": "only tests matching this expression"})
def test(c, k=""):
    """Run the test suite."""
    c.run(f"{sys.executable} -m pytest -q" + (f" -k '{k}'" if k else ""), pty=False)
