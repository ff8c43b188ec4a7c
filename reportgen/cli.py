"""The command line: `python -m reportgen report NAME [--quick] [--force]` and `validate FILE...`."""

from __future__ import annotations

import argparse
import errno
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .errors import ReportgenError
from .numbers import count
from .text import printable

__all__ = ["INTERNAL_ERROR", "main"]

INTERNAL_ERROR = 3  # exit code of a crash: 0 and 1 are verdicts (verified, NOT verified), 2 a user's mistake


class _Parser(argparse.ArgumentParser):
    """argparse's parser, where an unknown option is one line naming the closest known one of its command (argparse
    prints the usage of the whole program, and no hint); the commands' parsers are of this class too."""

    def parse_known_args(self, args: Sequence[str] | None = None,
                         namespace: argparse.Namespace | None = None) -> tuple[argparse.Namespace, list[str]]:
        parsed, extra = super().parse_known_args(args, namespace)
        unknown = next((arg.split("=", 1)[0] for arg in extra if arg.startswith("-") and arg != "-"), None)
        if unknown is not None:
            from .registry import did_you_mean

            hint = did_you_mean(unknown, [option for option in self._option_string_actions if option.startswith("--")])
            self.exit(2, f"error: unknown option '{unknown}'." + (hint or f" See '{self.prog} --help'.") + "\n")
        return parsed, extra


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="reportgen", description="Build deep-learning practical-work reports from experiment files.")
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser("report", help="train (or fetch from the cache) every run and write build/NAME/")
    report.add_argument("name", help="an experiment in experiments/ (e.g. pw04) or a path to a YAML file")
    report.add_argument("--quick", action="store_true", help="smoke build: the quick: block's stratified subset and epochs "
                                                             "(default 1,000 / 500 images, 1 epoch), into build/NAME-quick/")
    report.add_argument("--force", action="store_true", help="retrain every run even if it is cached")
    report.add_argument("--mixed-precision", action="store_true",
                        help="train every run in mixed_bfloat16 (GPUs, CPUs with AVX-512 BF16 or AMX; part of each run's cache key)")
    report.add_argument("--section", dest="sections", action="append", metavar="N|TITLE",
                        help="build only this report section (its number, or part of its title) and the runs it needs; "
                             "comma-separate or repeat for several; the report goes to build/NAME-sections-N/")
    report.add_argument("--no-train", dest="train", action="store_false",
                        help="train nothing: every run must have a trusted cache entry, else a one-line error (re-render only)")
    report.add_argument("--out", type=Path, help="output folder (default build/NAME, build/NAME-quick with --quick)")
    report.add_argument("--cache", type=Path, help="result cache folder (default build/cache or $REPORTGEN_CACHE)")
    report.add_argument("--executor", choices=("local", "ray"), default="local",
                        help="where runs train: in this process (default), or one Ray task per run (pip install 'reportgen[ray]')")
    report.add_argument("--address", metavar="auto|ray://HOST:PORT",
                        help="with --executor ray: the Ray cluster to use (default: a local instance started for the build)")
    notebook = commands.add_parser("notebook", help="build the report, then build/NAME/NAME.ipynb: plain Keras code for "
                                                    "every run, executed, with each run's weights beside it")
    notebook.add_argument("name", help="an experiment in experiments/ (e.g. pw04) or a path to a YAML file")
    notebook.add_argument("--quick", action="store_true", help="the quick profile, as for report (build/NAME-quick/)")
    notebook.add_argument("--out", type=Path, help="output folder (default build/NAME, build/NAME-quick with --quick)")
    notebook.add_argument("--cache", type=Path, help="result cache folder (default build/cache or $REPORTGEN_CACHE)")
    notebook.add_argument("--no-execute", dest="execute", action="store_false", help="write the notebook without running it")
    validate = commands.add_parser("validate", help="check experiment files and report every problem")
    validate.add_argument("files", nargs="+", type=Path)
    from .submission.commands import add_commands

    for command in (report, notebook, validate, *add_commands(commands)):
        command.add_argument("--limit", dest="limits", action="append", default=[], metavar="NAME=N",
                             help="raise a bound on untrusted input (e.g. params=5e8, epochs=5000); see README, "
                                  "'Grading untrusted submissions'; repeatable; also $REPORTGEN_LIMITS")
    key = commands.add_parser("key", help="print this machine's public cache key, for other machines' $REPORTGEN_TRUST")
    key.add_argument("--out", type=Path, help="write it to this file instead")
    validate.add_argument("--no-models", dest="models", action="store_false",
                          help="check the file only; do not build the models on their datasets' shapes (no Keras import)")
    grade = commands.add_parser("grade", help="verify every submission .zip of a folder; write grades.xlsx, grades.json "
                                              "and the class leaderboard")
    grade.add_argument("folder", type=Path, help="the folder of the students' submission .zip files")
    grade.add_argument("--reference", required=True, help="the grader's experiment file, with its grading: block")
    grade.add_argument("--out", type=Path, help="output folder (default build/grade-FOLDER); one subfolder per submission")
    grade.add_argument("--cache", type=Path, help="result cache shared by every verification (default build/cache or "
                                                  "$REPORTGEN_CACHE): identical honest runs train once")
    grade.add_argument("--executor", choices=("local", "ray"), default="local",
                       help="local: one verification after the other (default); ray: one Ray task per submission")
    grade.add_argument("--address", help="with --executor ray: the Ray cluster to join (default: start one here)")
    grade.add_argument("--quick", action="store_true", help="grade at the reference's quick profile (its subset and epochs), "
                                                            "to try the grading itself; a full build is then refused")
    grade.add_argument("--limit", dest="limits", action="append", default=[], metavar="NAME=N",
                       help="raise a bound on untrusted input, as for report (repeatable)")
    return parser


def _report(args: argparse.Namespace) -> int:
    from .pipeline import build
    from .run.progress import console, escape

    start = time.perf_counter()
    sections = [part.strip() for arg in args.sections for part in arg.split(",")] if args.sections is not None else None
    if sections is not None and not all(sections):
        raise ReportgenError(f"--section: expected a section's number or part of its title (comma-separated, or the option "
                             f"repeated). Received: {', '.join(repr(a) for a in args.sections)}")
    summary = build(args.name, quick=args.quick, force=args.force, out=args.out, cache_dir=args.cache,
                    precision="mixed_bfloat16" if args.mixed_precision else None, sections=sections, train=args.train,
                    executor=args.executor, address=args.address)
    elapsed = time.perf_counter() - start
    if summary.up_to_date:
        console.print(f"{summary.experiment}: up to date ({len(summary.cached)} runs cached), {summary.out}/report.pdf")
    else:
        console.print(
            f"{summary.experiment}: {len(summary.trained)} trained, {len(summary.cached)} from cache, "
            f"{elapsed:.1f} s -> {summary.out}/report.pdf, results.json, figures/"
        )
    if summary.failed:  # the report is written (it shows them as failed), but the build is not a success
        console.print(escape(summary.failure_line()))
        return 1
    return 0


def _notebook(args: argparse.Namespace) -> int:
    from .pipeline import notebook
    from .run.progress import console, escape

    done = notebook(args.name, quick=args.quick, out=args.out, cache_dir=args.cache, execute=args.execute)
    for problem in done.problems:
        console.print(escape(f"not exported: {problem}"))
    ran = f", executed in {done.seconds:.1f} s" if done.seconds is not None else ", not executed"
    console.print(escape(f"{done.path}: weights of {count(done.weights, 'trained run')} in {done.path.parent / 'notebook'}{ran}"))
    return 1 if done.problems else 0


def _validate(args: argparse.Namespace) -> int:
    from .run.preflight import check_models
    from .spec import load_spec

    failed = 0
    for file in args.files:
        try:
            spec = load_spec(file)
            if args.models:
                check_models(spec, base=Path(file).parent)
        except ReportgenError as exc:
            print(printable(exc), file=sys.stderr)
            failed += 1
        else:
            print(f"{file}: ok ({count(len(spec.runs), 'run')}, {count(len(spec.sections), 'section')})")
            for name, run in spec.runs.items():
                chosen = run.training.test_selection if run.kind != "estimator" else ()  # an estimator has no epochs to choose
                if chosen:
                    print(f"{file}: warning: run '{name}': {' and '.join(chosen)} choose{'s' if len(chosen) == 1 else ''} by the test set "
                          "(validation: test), so its test numbers are not held out; the report marks them", file=sys.stderr)
    return 2 if failed else 0


def _key(args: argparse.Namespace) -> int:
    from .run.seal import TRUST_VAR, local_signer

    line = local_signer().public.line()
    if args.out:
        args.out.write_text(line + "\n", encoding="utf-8")
        print(f"wrote {args.out}: give it to the machines that should trust this one's cache entries (${TRUST_VAR})")
    else:
        print(line)
    return 0


def _grade(args: argparse.Namespace) -> int:
    from .run.progress import console, escape
    from .submission.grade import grade_class

    start = time.perf_counter()
    grades = grade_class(args.folder, args.reference, out=args.out, cache=args.cache, executor=args.executor,
                         address=args.address, say=lambda line: console.print(escape(line)), quick=args.quick)
    ranked = sum(g.rank is not None for g in grades.graded)
    full = sum(g.passed == len(g.verdicts) and not g.problems for g in grades.graded)
    n = len(grades.graded)
    console.print(f"graded {count(n, 'submission')} in {time.perf_counter() - start:.0f} s: {full} fully reproduced, "
                  f"{ranked} ranked -> {escape(grades.out)}/grades.xlsx, leaderboard.pdf, grades.json")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "key":
            return _key(args)
        from .limits import configure, parse_overrides

        configure(parse_overrides(",".join(args.limits), "--limit"))
        if args.command == "grade":
            return _grade(args)
        if args.command in ("submit", "verify"):
            from .submission.commands import run_command

            return run_command(args)
        if args.command == "notebook":
            return _notebook(args)
        return _report(args) if args.command == "report" else _validate(args)
    except ReportgenError as exc:
        text = printable(exc)  # an error may quote a student's file: no control character reaches the terminal
        print(f"error: {text}" if "\n" not in text and not _located(text) else text, file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS):
            return _internal_error(args.command)
        where = f" in {Path(exc.filename).parent}" if exc.filename else ""
        print(f"error: cannot write{where}: {exc.strerror} (finished runs are in the cache; free space and run the same "
              "command to go on)", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: finished runs are in the cache; run the same command to go on", file=sys.stderr)
        return 130
    except Exception:
        return _internal_error(args.command)


def _internal_error(command: str) -> int:
    """A bug of reportgen's: its traceback, and an exit code that no verdict uses (1 is NOT verified)."""
    import traceback

    print(printable(traceback.format_exc()), file=sys.stderr, end="")
    print(f"reportgen {command}: internal error (exit {INTERNAL_ERROR}); please report it with the lines above", file=sys.stderr)
    return INTERNAL_ERROR


def _located(message: str) -> bool:
    head = message.split(": ", 1)[0]
    return head.count(":") >= 2  # FILE:LINE:COL
