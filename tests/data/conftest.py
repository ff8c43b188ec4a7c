"""Fixtures for the data tests: an isolated search path, Keras cache and no network."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from reportgen.data import keras_fallback, paths


def _no_network(name: str):
    # What keras.utils.get_file raises when DNS fails (it wraps the URLError in an Exception).
    raise Exception(
        f"URL fetch failure on https://example.invalid/{name}: None -- "
        "[Errno -2] Name or service not known"
    )


@pytest.fixture(autouse=True)
def keras_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every data test sees an empty Keras cache, no REPORTGEN_DATA_PATH, no system dataset
    folders, and a Keras loader that fails like a machine without network."""
    home = tmp_path_factory.mktemp("keras_home")
    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.delenv(paths.ENV_VAR, raising=False)
    monkeypatch.setitem(paths.SYSTEM_DIRS, "fashion_mnist", ())
    monkeypatch.setattr(keras_fallback, "fetch", _no_network)
    return home


@pytest.fixture
def set_data_path(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """set_data_path(dir1, dir2, ...) sets REPORTGEN_DATA_PATH to those folders, in order."""

    def setter(*dirs: Path | str) -> None:
        monkeypatch.setenv(paths.ENV_VAR, os.pathsep.join(str(d) for d in dirs))

    return setter
