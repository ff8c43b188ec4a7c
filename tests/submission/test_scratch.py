"""A verification killed mid-way leaves its unpacked zip behind; the next one in that folder removes it (not a live one's)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hostile_zips import plain_zip

from reportgen.cli import main
from reportgen.submission.scratch import remove_stale, scratch_prefix


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    return int(done.stdout)


def _left(folder: Path, name: str) -> Path:
    path = folder / name / "zip" / "experiments"
    path.mkdir(parents=True)
    (path / "student.yaml").write_text("a student's file")
    return folder / name


def test_the_next_verify_removes_a_killed_ones_scratch(tmp_path: Path, capsys) -> None:
    out = tmp_path / "verify-out"
    ours = scratch_prefix()  # this process's: a verification running now
    host = ours.split("-")[1]
    killed = _left(out, f".verify-{host}-{_dead_pid()}-abc123")
    older = _left(out, ".verify-k2j4l5m6")  # an older version's name: no process to ask
    running = _left(out, f"{ours}live")
    other_host = _left(out, f".verify-elsewhere-{os.getpid()}-x")
    assert main(["verify", str(plain_zip(tmp_path / "s.zip", {"../x": b""})), "--out", str(out)]) == 2
    assert "leads out of the folder" in capsys.readouterr().err
    assert not killed.exists() and not older.exists() and running.exists() and other_host.exists()
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["verify.html", "verify.json"]
    assert remove_stale(out) == []  # nothing more to remove; the live one stays


def test_grade_cleans_every_submissions_folder(tmp_path: Path, monkeypatch) -> None:
    import reportgen.submission.verify as verify_module
    from graded_class import REFERENCE, report

    out = tmp_path / "grades"
    left = _left(out / "gone", f".verify-{scratch_prefix().split('-')[1]}-{_dead_pid()}-zz")  # a zip since removed
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "ada.zip").write_bytes(b"PK")
    monkeypatch.setattr(verify_module, "verify_submission", lambda zip_path, out, **_: report("ada"))
    assert main(["grade", str(tmp_path / "class"), "--reference", str(REFERENCE), "--out", str(out)]) == 0
    assert not left.exists()
