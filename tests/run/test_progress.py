"""Progress lines carry run names and a student's strings: printed with every control character escaped."""

from __future__ import annotations

from reportgen.run.progress import TrainingProgress, escape

HOSTILE = "cnn\x1b]0;owned\x07\x1b[2J\r[bold]x[/bold]\u202e"


def test_escape_leaves_no_control_character_and_no_markup() -> None:
    shown = escape(HOSTILE)
    assert shown == "cnn\\x1b]0;owned\\x07\\x1b[2J\\x0d\\[bold]x\\[/bold]\\u202e"
    assert not any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in shown)


def test_progress_lines_print_run_names_escaped(capsys) -> None:
    progress = TrainingProgress(2, enabled=False)
    progress.start_run(HOSTILE, epochs=1, steps_per_epoch=1)
    progress.end_epoch(0, {"loss": 0.5}, run=HOSTILE)
    progress.end_run(f"trained {HOSTILE} in 1 s")
    progress.skip(f"cached  {HOSTILE}")
    err = capsys.readouterr().err
    assert err.count("cnn\\x1b]0;owned\\x07\\x1b[2J\\x0d[bold]x[/bold]\\u202e") == 3
    assert not any(c in err for c in "\x1b\x07\r\u202e")
