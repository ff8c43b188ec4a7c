"""The `submit` and `verify` subcommands: their arguments and what they print (cli.py adds them to its parser)."""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

from ..errors import ReportgenError
from ..text import printable

__all__ = ["COMMANDS", "add_commands", "run_command"]

COMMANDS = ("submit", "verify")


def add_commands(commands: argparse._SubParsersAction) -> list[argparse.ArgumentParser]:
    """Add `submit` and `verify` to the CLI's subcommands; returns their parsers (the CLI adds --limit to each)."""
    submit = commands.add_parser("submit", help="pack build/NAME into build/NAME/submission.zip (building it first if needed)")
    submit.add_argument("name", help="an experiment in experiments/ (e.g. pw04) or a path to a YAML file")
    submit.add_argument("--quick", action="store_true", help="pack a quick build (needs --allow-quick)")
    submit.add_argument("--allow-quick", action="store_true", help="accept a quick build (a smoke test of the submission itself)")
    submit.add_argument("--out", type=Path, help="build folder, where submission.zip is written (default build/NAME)")
    submit.add_argument("--cache", type=Path, help="result cache folder (default build/cache or $REPORTGEN_CACHE)")
    submit.add_argument("--no-notebook", dest="notebook", action="store_false",
                        help="leave out the executed plain-Keras notebook NAME.ipynb and its notebook/ folder of weights")
    verify = commands.add_parser("verify", help="check an untrusted submission.zip: unpack safely, check hashes, rebuild, "
                                                "compare every number; verify.json, verify.html, verify.pdf")
    verify.add_argument("zip", type=Path, help="the submission .zip")
    verify.add_argument("--reference", type=Path, help="the grader's experiment (pw04 or experiments/pw04.yaml): its grading: "
                                                       "block says which runs and metrics are graded, and how")
    verify.add_argument("--runs", help="only these runs, comma-separated (a swept run's name: each variant)")
    verify.add_argument("--sample", type=int, metavar="N", help="only N runs, drawn at random with --seed")
    verify.add_argument("--seed", type=int, default=0, help="the seed of --sample (default 0)")
    verify.add_argument("--out", type=Path, help="output folder (default build/verify-ZIPSTEM)")
    verify.add_argument("--cache", type=Path, help="the grader's result cache (default build/cache or $REPORTGEN_CACHE)")
    verify.add_argument("--quick", action="store_true", help="with --reference: grade at its quick profile (its subset and "
                                                             "epochs), to try the grading itself; a full build is then refused")
    return [submit, verify]


def run_command(args: argparse.Namespace) -> int:
    return _submit(args) if args.command == "submit" else _verify(args)


def _submit(args: argparse.Namespace) -> int:
    from ..run.progress import console, escape
    from .submit import submit

    done = submit(args.name, quick=args.quick, allow_quick=args.allow_quick, out=args.out, cache=args.cache,
                  notebook=args.notebook)
    built = "up to date" if done.build.up_to_date else f"{len(done.build.trained)} trained, {len(done.build.cached)} from cache"
    weights = [m for m in done.members if m.startswith("notebook/")]
    shown = [m for m in done.members if m not in weights] + ([f"notebook/ ({len(weights)} files)"] if weights else [])
    console.print(escape(f"{done.build.experiment}: {built} -> {done.zip} ({len(done.members)} files: {', '.join(shown)})"))
    if done.build.failed:
        console.print(escape(done.build.failure_line()))
        return 1
    return 0


def _verify(args: argparse.Namespace) -> int:
    from .verify import verify_submission

    if not args.zip.is_file():
        raise ReportgenError(f"no submission at {args.zip}")
    if args.sample is not None and args.sample < 1:
        raise ReportgenError(f"--sample: expected a positive number of runs. Received: {args.sample}")
    runs = [r.strip() for r in args.runs.split(",") if r.strip()] if args.runs else None
    out = args.out or Path("build") / f"verify-{args.zip.stem}"
    reference = args.reference
    if reference is not None and reference.suffix not in (".yaml", ".yml"):  # a name in experiments/, as for report
        from ..pipeline import resolve_experiment

        reference = resolve_experiment(str(reference))
    start = time.perf_counter()
    if args.quick and reference is None:
        raise ReportgenError("--quick grades at the reference's quick profile: give --reference too")
    report = verify_submission(args.zip, out, reference=reference, runs=runs, sample=args.sample, cache=args.cache,
                               seed=args.seed, quick=args.quick)
    if report.refused:
        print(f"error: {printable(report.refused.splitlines()[0])}", file=sys.stderr)
        return 2
    tally = Counter(v.verdict for v in report.numbers)
    numbers = ", ".join(f"{n} {verdict}" for verdict, n in tally.items()) or "no number graded"
    problems = [f"{len(names)} {kind}" for kind, names in report.files.items() if names and kind != "ok"]
    problems += [f"{len(names)} required {kind} missing" for kind, names in report.required.items() if names]
    cells = sum(c["verdict"] != "reproduced" for c in report.workbook)
    problems += [f"{cells} workbook cells not reproduced"] if cells else []
    problems += [f"{len(report.differs)} runs on another test set"] if report.differs else []
    print(printable(f"{args.zip.name}: {'verified' if report.ok else 'NOT verified'}: {numbers}"
                    f"{'; ' + ', '.join(problems) if problems else ''} ({time.perf_counter() - start:.1f} s) -> {out}/verify.pdf"))
    return 0 if report.ok else 1
