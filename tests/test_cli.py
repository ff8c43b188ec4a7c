"""The command line's own mistakes: an unknown option is one line naming the closest known one, with exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportgen.cli import main


@pytest.mark.parametrize(("argv", "line"), [
    (["report", "demo", "--quik"], "error: unknown option '--quik'. Did you mean '--quick'?"),
    (["grade", "zips", "--reference", "pw04", "--exector=ray"], "error: unknown option '--exector'. Did you mean '--executor'?"),
    (["report", "demo", "--zzzz"], "error: unknown option '--zzzz'. See 'reportgen report --help'."),
])
def test_an_unknown_option_is_one_line_with_the_closest_known_one(argv: list[str], line: str,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    out, err = capsys.readouterr()
    assert exited.value.code == 2 and err.splitlines() == [line] and not out


def test_an_out_or_cache_folder_that_is_a_file_is_one_line(tmp_path: Path, capsys) -> None:
    (tmp_path / "afile").write_text("")
    for option in ("--out", "--cache"):
        code = main(["report", "demo", option, str(tmp_path / "afile" / "x")])
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1 and f"{tmp_path / 'afile'} is a file. Hint: give a folder" in err, err


def test_sections_may_be_comma_separated_and_an_empty_one_is_refused(tmp_path: Path, capsys, monkeypatch) -> None:
    import reportgen.pipeline as pipeline

    asked = []
    monkeypatch.setattr(pipeline, "build", lambda name, **options: asked.append(options["sections"]) or (_ for _ in ()).throw(
        pipeline.ReportgenError("stop here")))
    assert main(["report", "demo", "--section", "1, 2", "--section", "Answers"]) == 2
    assert asked == [["1", "2", "Answers"]]
    assert main(["report", "demo", "--section", ""]) == 2
    assert "--section: expected a section's number or part of its title" in capsys.readouterr().err and len(asked) == 1
