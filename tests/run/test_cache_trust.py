"""Sealed cache entries: forged, damaged, foreign or linked entries are never used; trusted imports are, and say so."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from datafiles import ONE_RUN
from reportgen.cli import main
from reportgen.run import Cache
from reportgen.run.seal import KEY_VAR, TRUST_VAR, local_signer

KEY = "ab" * 32
RECORD = {"metrics": {"test_accuracy": 0.5}}


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cache:
    monkeypatch.setenv(KEY_VAR, str(tmp_path / "here.key"))
    monkeypatch.delenv(TRUST_VAR, raising=False)
    cache = Cache(tmp_path / "cache")
    cache.write(KEY, RECORD, {"w": np.arange(3)})
    return cache


def _fresh(cache: Cache) -> Cache:
    """Another process's view of the same folder (verdicts are memoised per process)."""
    return Cache(cache.root)


def test_an_entry_written_here_is_trusted_and_says_so(cache: Cache) -> None:
    verdict = _fresh(cache).verify(KEY)
    assert verdict.trusted and verdict.origin == "sealed on this machine"
    assert _fresh(cache).read(KEY) == RECORD


@pytest.mark.parametrize("forge", ["result", "arrays", "extra_file", "no_seal", "seal_garbage", "moved"])
def test_a_forged_or_damaged_entry_is_refused_with_its_reason(cache: Cache, forge: str) -> None:
    entry = cache.entry(KEY)
    key = KEY
    if forge == "result":  # a made-up accuracy
        (entry / "result.json").write_text(json.dumps({"metrics": {"test_accuracy": 0.99}}))
    elif forge == "arrays":
        (entry / "arrays.npz").write_bytes(b"garbage")
    elif forge == "extra_file":
        (entry / "model.keras").write_bytes(b"PK")
    elif forge == "no_seal":
        (entry / "seal.json").unlink()
    elif forge == "seal_garbage":
        (entry / "seal.json").write_text("{not json")
    else:  # a genuine entry renamed to another run's key
        key = "cd" * 32
        shutil.copytree(entry, cache.entry(key))
    fresh = _fresh(cache)
    verdict = fresh.verify(key)
    assert not verdict.trusted and verdict.reason
    with pytest.raises(Exception, match="is not used"):
        fresh.read(key)
    with pytest.raises(Exception, match="is not used"):
        fresh.arrays(key)


@pytest.mark.parametrize("link", ["result", "entry", "prefix"])
def test_no_symlink_in_the_cache_is_followed(cache: Cache, tmp_path: Path, link: str) -> None:
    outside = tmp_path / "outside"
    shutil.copytree(cache.entry(KEY), outside)
    if link == "result":
        (cache.entry(KEY) / "result.json").unlink()
        (cache.entry(KEY) / "result.json").symlink_to(outside / "result.json")
    elif link == "entry":
        shutil.rmtree(cache.entry(KEY))
        cache.entry(KEY).symlink_to(outside)
    else:
        shutil.rmtree(cache.entry(KEY).parent)
        (tmp_path / "prefix").mkdir()
        shutil.copytree(outside, tmp_path / "prefix" / KEY)
        cache.entry(KEY).parent.symlink_to(tmp_path / "prefix")
    assert not _fresh(cache).trusted(KEY)
    _fresh(cache).write(KEY, RECORD, {"w": np.arange(3)})  # retrained: the link is replaced, not written through
    assert not os.path.islink(cache.entry(KEY)) and not os.path.islink(cache.entry(KEY).parent)
    assert _fresh(cache).trusted(KEY)
    assert json.loads((outside / "result.json").read_text()) == RECORD  # untouched


def test_a_probes_folder_that_is_a_symlink_is_not_written_through(cache: Cache, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (cache.entry(KEY) / "probes").symlink_to(outside)
    fresh = _fresh(cache)
    assert not fresh.trusted(KEY)  # a link inside the entry: not used at all
    trusted = Cache(cache.root)
    cache.write(KEY, RECORD, {"w": np.arange(3)})
    assert trusted.trusted(KEY)  # verified before the link appeared (the same process, later)
    (cache.entry(KEY) / "probes").symlink_to(outside)
    trusted.write_probe(KEY, "p", {"a": np.ones(2)})
    assert list(outside.iterdir()) == []
    assert not os.path.islink(cache.entry(KEY) / "probes") and trusted.read_probe(KEY, "p")["a"].tolist() == [1, 1]


def test_a_forged_probe_is_not_read(cache: Cache) -> None:
    cache.write_probe(KEY, "p", {"a": np.ones(2)})
    assert cache.has_probe(KEY, "p", ["a"])
    np.savez_compressed(cache.probe_file(KEY, "p"), a=np.zeros(2))
    assert not _fresh(cache).has_probe(KEY, "p", ["a"])
    with pytest.raises(Exception, match="not sealed"):
        _fresh(cache).read_probe(KEY, "p")


def test_an_entry_from_another_machine_needs_its_key_in_trust(cache: Cache, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_VAR, str(tmp_path / "gpu.key"))
    (tmp_path / "gpu.pub").write_text(local_signer().public.line().rsplit(" ", 1)[0] + " gpu-box\n")
    other = "ef" * 32
    Cache(cache.root).write(other, RECORD, {"w": np.arange(3)})
    monkeypatch.setenv(KEY_VAR, str(tmp_path / "here.key"))
    verdict = _fresh(cache).verify(other)
    assert not verdict.trusted and "does not trust" in verdict.reason
    monkeypatch.setenv(TRUST_VAR, str(tmp_path / "gpu.pub"))
    verdict = _fresh(cache).verify(other)
    assert verdict.trusted and verdict.origin.startswith("imported, sealed by gpu-box")


def test_a_malformed_trust_file_is_one_line(cache: Cache, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "bad.pub").write_text("ssh-rsa AAAA me@host\n")
    monkeypatch.setenv(TRUST_VAR, str(tmp_path / "bad.pub"))
    with pytest.raises(Exception, match=r"bad.pub:1: expected 'reportgen-ed25519"):
        _fresh(cache).verify(KEY)




def test_a_forged_accuracy_is_retrained_not_printed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(KEY_VAR, str(tmp_path / "here.key"))
    file = tmp_path / "one.yaml"
    file.write_text(ONE_RUN)
    args = ["report", str(file), "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "cache")]
    assert main(args) == 0
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    key, accuracy = results["runs"]["dense"]["cache_key"], results["runs"]["dense"]["metrics"]["test_accuracy"]
    entry = Cache(tmp_path / "cache").entry(key)
    record = json.loads((entry / "result.json").read_text())
    record["metrics"]["test_accuracy"] = 0.987654
    (entry / "result.json").write_text(json.dumps(record))
    capsys.readouterr()

    assert main([*args, "--no-train"]) == 2  # retraining off: refused in one line, nothing used silently
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "would train" in err and "result.json does not match its seal" in err

    assert main(args) == 0
    assert "retrain dense: cache entry" in capsys.readouterr().err
    again = json.loads((tmp_path / "out" / "results.json").read_text())
    assert again["runs"]["dense"]["metrics"]["test_accuracy"] == accuracy != 0.987654
    html = (tmp_path / "out" / "report.html").read_text()
    assert "98.8" not in html and "trained in this build" in html


def test_a_marker_naming_another_runs_entry_is_ignored(cache: Cache) -> None:
    """by-run markers are not sealed: one planted to send run B to run A's (sealed) entry must not be followed."""
    run_a, run_b, entry_b = "1a" * 32, "2b" * 32, "3c" * 32
    cache.write(KEY, RECORD, {"w": np.arange(3)}, spec_key=run_a)
    cache.write(entry_b, RECORD, {"w": np.arange(3)}, spec_key=run_b)
    shutil.rmtree(cache.entry(entry_b))
    shutil.rmtree(cache.root / "by-run" / run_b)
    (cache.root / "by-run" / run_b).mkdir()
    (cache.root / "by-run" / run_b / KEY).touch()
    assert _fresh(cache).same_run(run_b) is None and _fresh(cache).same_run(run_a) == KEY


@pytest.mark.parametrize("where", ["result", "seal", "memo"])
def test_json_nested_past_the_stack_is_damage_not_a_traceback(cache: Cache, where: str) -> None:
    from reportgen.data.fingerprint import _read_memo

    deep = "[" * 100_000 + "]" * 100_000
    if where == "result":  # an unmarked entry copied in: read by the index
        folder = cache.root / "cd" / ("cd" * 32)
        folder.mkdir(parents=True)
        (folder / "result.json").write_text(deep)
        assert _fresh(cache).index_entries() == 0
        assert not _fresh(cache).trusted("cd" * 32)
    elif where == "seal":
        (cache.entry(KEY) / "seal.json").write_text(deep)
        assert "damaged" in _fresh(cache).verify(KEY).reason
    else:
        (cache.root / "fingerprints.json").write_text(deep)
        assert _read_memo(cache.root / "fingerprints.json") == {}


def test_a_memo_entry_is_trusted_only_for_the_same_file(tmp_path: Path) -> None:
    """Size and mtime can be put back; a memo copied in, or a file edited under its old mtime, is hashed again."""
    from reportgen.data.fingerprint import file_fingerprint

    data, memo = tmp_path / "labels.idx", tmp_path / "memo.json"
    data.write_bytes(b"\x01" * 64)
    first = file_fingerprint([data], memo)
    stat = data.stat()
    data.write_bytes(b"\x00" * 64)
    os.utime(data, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size, same mtime, other content
    assert file_fingerprint([data], memo) != first
    saved = json.loads(memo.read_text())
    saved["files"][str(data)]["sha256"] = "zz"
    memo.write_text(json.dumps(saved))
    assert file_fingerprint([data], memo) == file_fingerprint([data])  # a malformed digest is computed again


@pytest.mark.parametrize("mode", [0o666, 0o644, 0o640])
def test_a_private_key_others_can_read_is_refused_as_ssh_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys,
                                                              mode: int) -> None:
    key = tmp_path / "cache-key"
    monkeypatch.setenv(KEY_VAR, str(key))
    local_signer()  # made on first use, 0600
    assert key.stat().st_mode & 0o777 == 0o600
    key.chmod(mode)
    assert main(["key"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"private cache key is open to others (mode {mode:04o})" in err and f"chmod 600 {key}" in err
    key.chmod(0o600)
    assert main(["key"]) == 0 and capsys.readouterr().out.startswith("reportgen-ed25519 ")
