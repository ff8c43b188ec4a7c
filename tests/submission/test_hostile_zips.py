"""Untrusted zips refused before anything is inflated, each within a second, with one line and exit 2; invalid experiments too."""

from __future__ import annotations

import json
import re
import time
import warnings
import zipfile
from pathlib import Path

import pytest
from hostile_zips import lying_directory_zip, nul_name_zip, plain_zip, zeros_bomb
from submissions import edit_json

import reportgen.submission.render  # noqa: F401 - imported before the clock starts, as in a grader's session
import reportgen.submission.verify  # noqa: F401
from reportgen.cli import main
from reportgen.submission.safezip import UnsafeZip, check_zip, unpack


def _duplicate(path: Path) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate it is asked to write
        return plain_zip(path, {"results.json": b"{}", "results.json ": b"", "RESULTS.json": b"{}"})


HOSTILE = {
    "dot-dot": (lambda p: plain_zip(p, {"manifest.json": b"{}", "../outside.txt": b"x"}), "leads out of the folder"),
    "absolute": (lambda p: plain_zip(p, {"/tmp/reportgen-absolute.txt": b"x"}), "has an absolute path"),
    "link": (lambda p: plain_zip(p, {"report.pdf": b"/etc/passwd"}, mode=0o120777), "is a link"),
    "duplicate": (_duplicate, "appears twice"),
    "members": (lambda p: plain_zip(p, {f"f{i}.txt": b"" for i in range(1001)}), "members of a submission zip"),
    "bomb": (lambda p: zeros_bomb(p, 1024), "bytes a submission zip unpacks to"),  # 1 GiB of zeros in about 1 MB
    "ratio": (lambda p: zeros_bomb(p, 64), "unpacked bytes per packed byte"),  # 64 MiB: under the total, over the ratio
    "not-a-zip": (lambda p: p.write_bytes(b"%PDF-1.7 not a zip") and p, "not a zip file"),
    # A path over the file system's limit (each part short): refused with the name rules, not 'File name too long'.
    "long-path": (lambda p: plain_zip(p, {"manifest.json": b"{}", "a/" * 2497 + "bcdefg": b"x"}), "has a name of 5,000 bytes"),
    "nul-name": (nul_name_zip, "has a NUL byte in its name"),
    "lying-end-record": (lying_directory_zip, "its central directory claims 10,200,000 bytes"),
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_a_hostile_zip_is_refused_at_once(kind: str, tmp_path: Path, capsys) -> None:
    make, reason = HOSTILE[kind]
    zip_path = make(tmp_path / f"{kind}.zip")
    out = tmp_path / "out"
    start = time.perf_counter()
    code = main(["verify", str(zip_path), "--out", str(out)])
    elapsed = time.perf_counter() - start
    err = capsys.readouterr().err
    print(f"{kind}: refused in {elapsed * 1000:.0f} ms")
    assert code == 2 and err.count("\n") == 1 and err.startswith("error: refused") and reason in err, err
    assert elapsed < 1.0
    assert sorted(p.name for p in out.iterdir()) == ["verify.html", "verify.json"]  # nothing unpacked is left
    report = json.loads((out / "verify.json").read_text())
    assert report["refused"] == err.removeprefix("error: ").strip() and report["ok"] is False
    assert not Path("/tmp/reportgen-absolute.txt").exists() and not (tmp_path / "outside.txt").exists()


def test_a_bomb_whose_directory_lies_stops_at_the_declared_size(tmp_path: Path) -> None:
    bomb = bytearray(zeros_bomb(tmp_path / "bomb.zip", 4).read_bytes())
    for signature in (b"PK\x03\x04", b"PK\x01\x02"):  # declare 1,000 bytes instead of 4 MiB, in both headers
        at = bomb.index(signature)
        size_at = at + (22 if signature == b"PK\x03\x04" else 24)
        bomb[size_at:size_at + 4] = (1000).to_bytes(4, "little")
    (tmp_path / "liar.zip").write_bytes(bytes(bomb))
    with pytest.raises(UnsafeZip, match="is damaged"):
        unpack(tmp_path / "liar.zip", (tmp_path / "out"))
    assert (tmp_path / "out" / "report.pdf").stat().st_size <= 1000


def test_a_safe_zip_unpacks_files_only_inside(tmp_path: Path) -> None:
    zip_path = plain_zip(tmp_path / "ok.zip", {"a/b/c.txt": b"c", "d.txt": b"d"})
    with check_zip(zip_path) as archive:
        assert sorted(archive.namelist()) == ["a/b/c.txt", "d.txt"]
    (tmp_path / "out").mkdir()
    found = unpack(zip_path, tmp_path / "out")
    assert {n: p.read_bytes() for n, p in found.items()} == {"a/b/c.txt": b"c", "d.txt": b"d"}
    assert all(p.is_relative_to(tmp_path / "out") for p in found.values())


def test_not_a_submission_and_an_invalid_experiment_are_refused(make_submission, tmp_path: Path, capsys) -> None:
    assert main(["verify", str(plain_zip(tmp_path / "empty.zip", {"notes.txt": b"x"})), "--out", str(tmp_path / "v1")]) == 2
    assert "no manifest.json" in capsys.readouterr().err

    def break_experiment(members: dict[str, bytes]) -> None:
        text = members["experiments/demo.yaml"].decode().replace("units: 10, activation: softmax, kernel_reg", "units: -3, activation: softmax, kernel_reg")
        members["experiments/demo.yaml"] = text.replace("epochs: 20", "epochs: many").encode()

    broken = make_submission(tmp_path / "b", break_experiment, rehash=True)
    assert main(["verify", str(broken), "--out", str(tmp_path / "v2")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: refused: invalid experiment: submission.zip:experiments/demo.yaml:")
    assert re.search(r"\(and \d+ more: verify\.json\)$", err.strip())
    refused = json.loads((tmp_path / "v2" / "verify.json").read_text())["refused"]
    assert "epochs" in refused and "units" in refused

    outside = make_submission(tmp_path / "c", lambda m: edit_json(m, "manifest.json", lambda v: v["experiment"].update(file="../x.yaml")))
    assert main(["verify", str(outside), "--out", str(tmp_path / "v3")]) == 2
    assert "names no experiment file" in capsys.readouterr().err


def test_a_dataset_inside_the_submission_is_refused(make_submission, tmp_path: Path, capsys) -> None:
    def own_data(members: dict[str, bytes]) -> None:
        text = members["experiments/demo.yaml"].decode()
        members["experiments/demo.yaml"] = text.replace("digits: {source: digits}", "digits: {source: idx, path: data}").encode()
        members["experiments/data/train-images-idx3-ubyte"] = b"\0" * 16

    forged = make_submission(tmp_path, own_data, rehash=True)
    assert main(["verify", str(forged), "--out", str(tmp_path / "v")]) == 2
    assert "would be read from the submission itself" in capsys.readouterr().err
    with zipfile.ZipFile(forged) as archive:
        assert "experiments/data/train-images-idx3-ubyte" in archive.namelist()


def test_a_dataset_the_grader_lacks_says_so(make_submission, tmp_path: Path, capsys, monkeypatch) -> None:
    """A relative `path:` found neither beside the experiment nor on the grader's data path is the grader's missing data,
    not data read from the zip (which it is not)."""
    monkeypatch.setenv("REPORTGEN_DATA_PATH", str(tmp_path / "grader-data"))

    def other_data(members: dict[str, bytes]) -> None:
        text = members["experiments/demo.yaml"].decode()
        members["experiments/demo.yaml"] = text.replace("digits: {source: digits}", "digits: {source: idx, path: mydigits}").encode()

    zip_path = make_submission(tmp_path, other_data, rehash=True)
    assert main(["verify", str(zip_path), "--out", str(tmp_path / "v")]) == 2
    err = capsys.readouterr().err
    assert (f"error: cannot rebuild: dataset 'digits': folder 'mydigits' is not in a folder of this machine's REPORTGEN_DATA_PATH "
            f"({tmp_path / 'grader-data'})") in err and "read from the submission itself" not in err
