"""invoke tasks: `invoke report NAME [--quick] [--force]`, `invoke submit NAME`, `invoke test`."""

from __future__ import annotations

import copy
import os
import re
import sys
from pathlib import Path

from invoke import Argument, Exit, ParseError, Parser, ParserContext, Program, Task, task

# The real data subsets (notmnist-10k/, mnist-5k/) that pw12, sat-pa3 and i2dl-ex8 name lie in shared/data beside the checkout;
# experiment files may only name folders on REPORTGEN_DATA_PATH (or inside their own folder), so that one is added to it.
SHARED_DATA = Path(__file__).resolve().parent.parent / "shared" / "data"


def with_shared_data(value: str) -> str:
    """REPORTGEN_DATA_PATH with ../shared/data appended when it exists and is not listed yet."""
    entries = [entry for entry in value.split(os.pathsep) if entry.strip()]
    if SHARED_DATA.is_dir() and str(SHARED_DATA) not in entries:
        entries.append(str(SHARED_DATA))
    return os.pathsep.join(entries)


class CheckedTask(Task):
    """A task whose command line gets two fixes invoke lacks: `invoke TASK --help` prints TASK's help also when TASK has
    positional arguments, and a mistyped option is one line naming the closest known one, exit code 2 (invoke says
    "No idea what '--quik' is!", exit 1). Invoke gives a word to the first positional argument still missing before it
    looks for a flag of its own, `--help` included (pyinvoke/invoke#982). It asks every task for its arguments just
    before it parses the command line (sys.argv, as `invoke` reads it): the task it names first parses its part here
    with invoke's own parser, to see what invoke is about to do."""

    def get_arguments(self, ignore_unknown_help: bool | None = None) -> list[Argument]:
        arguments = super().get_arguments(ignore_unknown_help)
        core = Program().initial_context  # invoke's own flags (--echo, --help, ...), which may come before the task
        words = Parser(initial=core, ignore_unknown=True).parse_argv(sys.argv[1:]).unparsed  # as Program.parse_core_args
        if not words or words[0] not in (self.name, *self.aliases):
            return arguments
        context = self._parse(core, arguments, words)
        values = [arg.value for arg in context.positional_args] if context else []
        mistyped = [v for v in values if isinstance(v, str) and v.startswith("--") and v.split("=", 1)[0] not in core.flags]
        if mistyped:  # taken for a positional argument: an experiment or a folder is no `--word`
            raise self._unknown(mistyped[0], context)
        helped = [v in ("-h", "--help") for v in values]
        if any(helped):  # a positional argument with a value is not missing: invoke gives `--help` to its own flag
            given_help = {arg.name for arg in context.positional_args[helped.index(True):]}
            for argument in arguments:
                if argument.name in given_help:
                    argument.default = ""
        return arguments

    def _parse(self, core: ParserContext, arguments: list[Argument], words: list[str]) -> ParserContext | None:
        """This task's part of the command line as invoke will parse it (None where invoke refuses it before the task's
        arguments); an option invoke has no idea about raises Exit (invoke's parser names the word in its message)."""
        try:
            return Parser(initial=core, contexts=[ParserContext(self.name, args=copy.deepcopy(arguments))]).parse_argv(words)[1]
        except ParseError as exc:
            unknown = re.fullmatch(r"No idea what '(-[^']*)' is!", str(exc))
            if unknown and exc.context:
                raise self._unknown(unknown[1], exc.context) from None
            return exc.context  # another task next, a flag without its value...: invoke says so itself

    def _unknown(self, word: str, context: ParserContext) -> Exit:
        from reportgen.registry import did_you_mean

        option = word.split("=", 1)[0]
        hint = did_you_mean(option, [flag for flag in context.flags if flag.startswith("--")])
        return Exit(f"error: unknown option '{option}'." + (hint or f" See 'invoke --help {self.name}'."), code=2)


@task(klass=CheckedTask,
      help={"name": "experiment in experiments/ (e.g. demo, pw04)", "quick": "smoke build on a subset", "force": "retrain every run",
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


@task(klass=CheckedTask,
      help={"name": "experiment in experiments/ (e.g. demo, pw04)", "quick": "the quick profile, as for report",
            "out": "output folder (default build/NAME, build/NAME-quick with --quick)",
            "cache": "result cache folder (default build/cache or $REPORTGEN_CACHE)",
            "execute": "execute the notebook once written (default; --no-execute writes it only)"})
def notebook(c, name, quick=False, out="", cache="", execute=True):
    """Build the report if needed, then build/NAME/NAME.ipynb: plain Keras code for every run, executed."""
    from reportgen.cli import main

    flags = ["--quick"] if quick else []
    flags += [arg for flag, value in (("--out", out), ("--cache", cache)) if value for arg in (flag, value)]
    flags += [] if execute else ["--no-execute"]
    os.environ["REPORTGEN_DATA_PATH"] = with_shared_data(os.environ.get("REPORTGEN_DATA_PATH", ""))
    code = main(["notebook", name, *flags])
    if code:
        sys.exit(code)


@task(klass=CheckedTask,
      help={"folder": "folder of the submission .zip files", "reference": "the grader's experiment (pw04 or experiments/pw04.yaml)",
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


@task(klass=CheckedTask,
      help={"name": "experiment in experiments/ (e.g. pw04)", "quick": "pack a quick build (needs --allow-quick)",
            "allow_quick": "accept a quick build (a smoke test of the submission itself)"})
def submit(c, name, quick=False, allow_quick=False):
    """Pack build/NAME (built first if missing or out of date) into build/NAME/submission.zip."""
    from reportgen.cli import main

    flags = [flag for flag, on in (("--quick", quick), ("--allow-quick", allow_quick)) if on]
    os.environ["REPORTGEN_DATA_PATH"] = with_shared_data(os.environ.get("REPORTGEN_DATA_PATH", ""))
    code = main(["submit", name, *flags])
    if code:
        sys.exit(code)


@task(klass=CheckedTask, help={"k": "only tests matching this expression"})
def test(c, k=""):
    """Run the test suite."""
    c.run(f"{sys.executable} -m pytest -q" + (f" -k '{k}'" if k else ""), pty=False)
