"""Writers of stand-in ImageNet weights: a backbone's own random weights saved under the file name Keras downloads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import h5py
import keras
import numpy as np
from keras.src.legacy.saving import legacy_h5_format
from keras.src.utils import file_utils

__all__ = ["keras_weights_name", "write_imagenet_weights"]


class _Asked(Exception):
    """Carries the file name an application asked get_file for."""


def keras_weights_name(application: str, **kwargs: Any) -> str:
    """The file name keras.applications.<application>(weights='imagenet', **kwargs) downloads."""
    real = file_utils.get_file

    def asked(fname: str | None = None, *args: Any, **kw: Any) -> str:
        raise _Asked(fname)

    file_utils.get_file = asked
    try:
        getattr(keras.applications, application)(weights="imagenet", include_top=False, **kwargs)
    except _Asked as exc:
        return str(exc.args[0])
    finally:
        file_utils.get_file = real
    raise AssertionError(f"{application} asked for no weights file")


def write_imagenet_weights(folder: Path, application: str, seed: int = 0, **kwargs: Any) -> tuple[Path, keras.Model]:
    """Random weights of the backbone in the legacy .h5 layout of Keras' downloads, under Keras' file name."""
    name = keras_weights_name(application, **kwargs)
    model = getattr(keras.applications, application)(weights=None, include_top=False, **kwargs)
    rng = np.random.default_rng(seed)
    for w in model.weights:  # distinct values, so a test can tell these weights from a fresh initialisation
        w.assign((np.asarray(w) + rng.normal(0.0, 0.01, size=w.shape)).astype(w.dtype))
    folder.mkdir(parents=True, exist_ok=True)
    with h5py.File(folder / name, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)
    return folder / name, model
