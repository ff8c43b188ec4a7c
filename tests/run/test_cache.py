"""The result cache: keys, atomic writes, stray temporaries."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from reportgen.run import Cache, cache_key


def test_key_is_independent_of_dict_order() -> None:
    assert cache_key({"a": 1, "b": [1, 2]}) == cache_key({"b": [1, 2], "a": 1})
    assert cache_key({"a": 1}) != cache_key({"a": 2})


def test_write_then_read(tmp_path) -> None:
    cache = Cache(tmp_path)
    cache.write("ab" * 32, {"metrics": {"x": 1.0}}, {"w": np.arange(3)})
    assert cache.has("ab" * 32) and cache.read("ab" * 32) == {"metrics": {"x": 1.0}}
    assert cache.arrays("ab" * 32)["w"].tolist() == [0, 1, 2]


def test_a_failed_write_leaves_nothing(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = Cache(tmp_path)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez_compressed", broken)
    with pytest.raises(OSError):
        cache.write("cd" * 32, {}, {"w": np.zeros(2)})
    assert not cache.has("cd" * 32)
    assert list(tmp_path.glob(".tmp-*")) == []


def test_temporaries_of_dead_writers_are_cleaned(tmp_path) -> None:
    dead = tmp_path / ".tmp-999999999-abc-x"
    alive = tmp_path / f".tmp-{os.getppid()}-abc-y"
    dead.mkdir()
    alive.mkdir()
    assert Cache(tmp_path).clean_temporaries() == 1
    assert not dead.exists() and alive.exists()


def test_an_entry_copied_alone_is_found_as_the_same_run(tmp_path) -> None:
    trained_elsewhere = Cache(tmp_path / "gpu")
    key, run_key = "ef" * 32, "12" * 32
    trained_elsewhere.write(key, {"metrics": {"x": 1.0}}, {"w": np.zeros(2)}, spec_key=run_key)
    trained_elsewhere.write("00" * 32, {"metrics": {}}, {"w": np.zeros(2)})  # no run key: never matched
    here = Cache(tmp_path / "cpu")
    assert here.same_run(run_key) is None  # an empty cache: nothing to index
    for entry in ("ef" * 32, "00" * 32):  # copy the entries only, not the by-run index
        shutil.copytree(trained_elsewhere.entry(entry), here.entry(entry))
    assert here.same_run(run_key) is None  # this process indexed already; a new one looks again
    again = Cache(tmp_path / "cpu")
    assert again.same_run(run_key) == key and again.read(key)["run_key"] == run_key
    assert again.same_run("34" * 32) is None
    assert Cache(tmp_path / "cpu").index_entries() == 0  # the markers were written: the next build reads no entry


def test_a_full_disk_under_an_entry_is_one_line_naming_the_folder_and_leaves_nothing(tmp_path, monkeypatch) -> None:
    import resource

    from reportgen.errors import RunError

    monkeypatch.setenv("REPORTGEN_KEY", str(tmp_path / "key"))
    cache = Cache(tmp_path / "cache")
    cache.write("ab" * 32, {}, {"w": np.zeros(2)})  # the key and the folders exist
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, hard))  # as `ulimit -f` does; Python ignores SIGXFSZ
    try:
        with pytest.raises(RunError, match=f"cannot write cache entry cdcdcdcdcdcd in {tmp_path / 'cache'}: File too large"):
            cache.write("cd" * 32, {}, {"w": np.random.default_rng(0).random(100_000)})
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert not cache.has("cd" * 32) and list((tmp_path / "cache").glob(".tmp-*")) == []
