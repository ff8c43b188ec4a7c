"""import_keras: Keras (and its backend) imported with the backend's native start-up chatter silenced."""

from __future__ import annotations

import contextlib
import importlib.util
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
    # TensorFlow's C++ log lines after its start-up: 3 keeps only FATAL ones (a failed op raises a Python exception
    # with its message all the same). A user who wants them sets the variable. ABSL_MIN_LOG_LEVEL and GLOG_minloglevel
    # change nothing: what TensorFlow prints before absl is set up ignores every variable, hence the silenced imports.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with native_stderr_silenced():
        import keras

        backend = keras.backend.backend()
        if backend == "tensorflow":
            import tensorflow as tf

            tf.config.list_logical_devices()  # the CPU-feature and CUDA-stub notices come here
        elif importlib.util.find_spec("tensorflow") is not None:
            # Keras imports TensorFlow on any backend where it is installed (keras.utils.set_random_seed, tf.data
            # input): here, not at the first run, where its start-up lines would reach the terminal.
            import tensorflow  # noqa: F401
        if backend == "jax":
            import jax

            jax.devices()  # the backend starts here, not at the first op
    return keras
