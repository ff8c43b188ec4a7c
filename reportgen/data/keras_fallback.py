"""Last resort for the Keras datasets: keras.datasets.<name>.load_data(), quiet and fail-fast."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import socket

import numpy as np

from reportgen.errors import DataError
from reportgen.quiet import import_keras

__all__ = ["SOCKET_TIMEOUT_S", "keras_available", "fetch", "fetch_files", "download", "download_files"]

# Per socket operation (connect, each read), not for the whole download: a network that
# drops packets fails after this long instead of hanging; DNS failure is immediate.
SOCKET_TIMEOUT_S = 15.0

Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def keras_available() -> bool:
    """Whether Keras is installed (checked without importing it)."""
    return importlib.util.find_spec("keras") is not None


def fetch(name: str) -> Arrays:
    """Call keras.datasets.<name>.load_data() with its progress bar silenced.

    Tests replace this function (monkeypatch `keras_fallback.fetch`) so that they never
    touch the network.
    """
    import_keras()
    module = importlib.import_module(f"keras.datasets.{name}")
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(SOCKET_TIMEOUT_S)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return module.load_data()
    finally:
        socket.setdefaulttimeout(previous)


def _one_line(exc: BaseException, limit: int = 240) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def download(name: str, not_found: str, hint: str) -> Arrays:
    """Fetch `name` through Keras; on failure raise one DataError line: `not_found`, why, hint.

    `not_found` says what was looked for and where, e.g. "dataset 'cifar10' not found:
    looked for ... in REPORTGEN_DATA_PATH (unset) and /root/.keras/datasets".
    """
    try:
        return fetch(name)
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # URLError, HTTPError, hash mismatch, ImportError, ...
        raise DataError(
            f"{not_found}, and the download failed ({_one_line(exc)}).", hint=hint
        ) from exc


def fetch_files(base_url: str, names: tuple[str, ...], subdir: str) -> list[str]:
    """Download each of `names` from `base_url` into the Keras cache's datasets/`subdir`/ (keras.utils.get_file: kept
    there, not fetched again) and return their paths. Tests replace this function, as `fetch`."""
    import_keras()
    import keras

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(SOCKET_TIMEOUT_S)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return [keras.utils.get_file(name, origin=f"{base_url}{name}", cache_subdir=f"datasets/{subdir}") for name in names]
    finally:
        socket.setdefaulttimeout(previous)


def download_files(base_url: str, names: tuple[str, ...], subdir: str, not_found: str, hint: str) -> list[str]:
    """fetch_files, or one DataError line on failure: `not_found`, why, hint (as `download`)."""
    try:
        return fetch_files(base_url, names, subdir)
    except KeyboardInterrupt:
        raise
    except Exception as exc:
        raise DataError(f"{not_found}, and the download failed ({_one_line(exc)}).", hint=hint) from exc
