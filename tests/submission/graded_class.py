"""A synthetic class of five verified submissions (no training): three honest, one forged, one missing a run."""

from __future__ import annotations

from pathlib import Path

from reportgen.submission.verify import Verdict, VerifyReport

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "experiments" / "demo.yaml"  # its grading: runs dense1, mlp (both widths), cnn, cnn_bn; leaderboard cnn_bn
RUNS = ("dense1", "mlp[units=32]", "mlp[units=128]", "cnn", "cnn_bn")
METRICS = ("test_accuracy", "train_accuracy")
NUMBERS = [(run, metric) for run in RUNS for metric in METRICS]  # the gradebook's columns, in this order
GROUPS = ("ada", "bob", "cyd", "dan", "eve")
# The leaderboard number (cnn_bn test_accuracy) each group's rebuild gives.
BOARD = {"ada": 0.95, "bob": 0.97, "cyd": 0.95, "dan": 0.93, "eve": None}


def _verdicts(group: str) -> list[Verdict]:
    verdicts = []
    for run in RUNS:
        for metric in METRICS:
            value = BOARD[group] if (run, metric) == ("cnn_bn", "test_accuracy") else 0.8 + 0.01 * len(verdicts)
            verdict, reported, std = "reproduced", value, None
            if run.startswith("mlp"):  # replicated: the mean is compared within k std
                verdict, reported, std = "within tolerance", value + 0.002, 0.003
            if group == "dan" and (run, metric) == ("cnn_bn", "test_accuracy"):  # forged: reported 0.99, rebuilt 0.93
                verdict, reported = "NOT reproduced", 0.99
            if group == "eve" and run == "cnn_bn":  # the run was removed from results.json
                verdict, reported, value = "missing", None, None
            verdicts.append(Verdict(run=run, metric=metric, reported=reported, regenerated=value, std=std,
                                    tolerance=0.005 if metric == "test_accuracy" else 0.0, verdict=verdict))
    return verdicts


def report(group: str) -> VerifyReport:
    """What verify_submission would say of group's submission (GROUP.zip)."""
    files = {"ok": ["experiment.yaml", "report.pdf", "results.json"], "tampered": [], "missing": [], "unlisted": []}
    required = {"runs": [], "sections": [], "figures": []}
    if group == "eve":
        required = {"runs": ["cnn_bn"], "sections": [], "figures": ["confusion of cnn_bn"]}
    return VerifyReport(submission=f"{group}.zip", experiment="demo", title="Dense and convolutional networks on 8x8 digits",
                        group=group, authors=[f"{group.title()} One", f"{group.title()} Two"], files=files,
                        numbers=_verdicts(group), workbook=[], required=required, refused=None)


def outcomes(folder: Path) -> list[tuple[str, str, VerifyReport | None, str | None]]:
    """summarise()'s input: (zip name, verification folder, report, error) of each group."""
    return [(f"{group}.zip", str(folder / group), report(group), None) for group in GROUPS]
