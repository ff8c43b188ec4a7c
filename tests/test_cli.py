"""The command line's own mistakes: an unknown option is one line naming the closest known one, with exit code 2."""

from __future__ import annotations

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
