"""import_keras: Keras (and its backend) imported with the backend's native start-up chatter silenced."""

from __future__ import annotations

import contextlib
import os
import sys
from types import ModuleType
from typing import Iterator

__all__ = ["import_keras", "native_stderr_silenced"]


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null: C++ logging (absl, oneDNN, CUDA stubs) bypasses Python."""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no real stderr (embedded interpreters)
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def import_keras() -> ModuleType:
    """Keras, imported once; the first import of its backend prints nothing a user needs."""
    if "keras" in sys.modules:
        return sys.modules["keras"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with native_stderr_silenced():
        import keras

        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            tf.config.list_logical_devices()  # the CPU-feature and CUDA-stub notices come here
    return keras
