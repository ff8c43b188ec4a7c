"""keras.applications backbones by name, their preprocessing as a layer, and ImageNet weights found offline."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keras
from keras.src.backend import config as keras_config
from keras.src.utils import file_utils  # every application calls `file_utils.get_file(...)` through this module

from ..errors import RunError
from ..registry import did_you_mean
from ..spec import catalog
from ..spec.paths import inside

__all__ = [
    "APPLICATIONS",
    "BACKBONE_ARGS",
    "BackbonePreprocess",
    "apply_backbone",
    "backbone_input_shape",
    "backbones_in",
    "can_reach",
    "find_weights_file",
    "local_weights",
    "make_backbone",
    "resolve_weights",
    "unfreeze_top",
]

# Application class -> the keras.applications submodule holding its `preprocess_input`.
# A literal so the spec catalog can copy the names; a test checks it against Keras.
APPLICATIONS: dict[str, str] = {
    "ConvNeXtTiny": "convnext", "ConvNeXtSmall": "convnext", "ConvNeXtBase": "convnext",
    "ConvNeXtLarge": "convnext", "ConvNeXtXLarge": "convnext",
    "DenseNet121": "densenet", "DenseNet169": "densenet", "DenseNet201": "densenet",
    "EfficientNetB0": "efficientnet", "EfficientNetB1": "efficientnet", "EfficientNetB2": "efficientnet",
    "EfficientNetB3": "efficientnet", "EfficientNetB4": "efficientnet", "EfficientNetB5": "efficientnet",
    "EfficientNetB6": "efficientnet", "EfficientNetB7": "efficientnet",
    "EfficientNetV2B0": "efficientnet_v2", "EfficientNetV2B1": "efficientnet_v2", "EfficientNetV2B2": "efficientnet_v2",
    "EfficientNetV2B3": "efficientnet_v2", "EfficientNetV2S": "efficientnet_v2", "EfficientNetV2M": "efficientnet_v2",
    "EfficientNetV2L": "efficientnet_v2",
    "InceptionResNetV2": "inception_resnet_v2", "InceptionV3": "inception_v3",
    "MobileNet": "mobilenet", "MobileNetV2": "mobilenet_v2",
    "MobileNetV3Small": "mobilenet_v3", "MobileNetV3Large": "mobilenet_v3",
    "NASNetMobile": "nasnet", "NASNetLarge": "nasnet",
    "ResNet50": "resnet", "ResNet101": "resnet", "ResNet152": "resnet",
    "ResNet50V2": "resnet_v2", "ResNet101V2": "resnet_v2", "ResNet152V2": "resnet_v2",
    "VGG16": "vgg16", "VGG19": "vgg19",
    "Xception": "xception",
}

BACKBONE_ARGS = tuple(dict.fromkeys(arg for app in catalog.APPLICATIONS for arg in catalog.LAYERS[app]))  # as the spec takes them
_TAKES_ALPHA = tuple(app for app in catalog.APPLICATIONS if "alpha" in catalog.LAYERS[app])
_DATA_PATH_VAR = "REPORTGEN_DATA_PATH"  # read as data.paths.search_path() does; model/ may not import data/
_LOCK = threading.RLock()


def _known(application: str) -> str:
    if application not in APPLICATIONS:
        names = sorted(APPLICATIONS)
        raise RunError(f"unknown application '{application}'; known: {', '.join(names)}.{did_you_mean(application, names)}")
    return application


@keras.saving.register_keras_serializable(package="reportgen")
class BackbonePreprocess(keras.layers.Layer):
    """Bring pixels back to 0..255, tile greyscale to RGB, then apply the application's own preprocess_input."""

    def __init__(self, application: str, scale_to_255: float = 255.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.application = _known(application)
        self.scale_to_255 = float(scale_to_255)
        self._preprocess = getattr(keras.applications, APPLICATIONS[application]).preprocess_input

    def call(self, inputs: Any) -> Any:
        x = keras.ops.cast(inputs, self.compute_dtype) * self.scale_to_255
        if x.shape[-1] == 1:
            x = keras.ops.concatenate([x, x, x], axis=-1)
        return self._preprocess(x)

    def compute_output_shape(self, input_shape: tuple[Any, ...]) -> tuple[Any, ...]:
        return (*input_shape[:-1], 3)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "application": self.application, "scale_to_255": self.scale_to_255}


def find_weights_file(fname: str, cache_subdir: str = "models") -> Path | None:
    """`fname` in each REPORTGEN_DATA_PATH folder (or its `models/`), then in Keras' cache; None if nowhere."""
    folders: list[Path] = []
    for entry in os.environ.get(_DATA_PATH_VAR, "").split(os.pathsep):
        if entry.strip():
            folders += [Path(entry).expanduser(), Path(entry).expanduser() / cache_subdir]
    homes = [os.environ.get("KERAS_HOME") or os.path.join("~", ".keras"), keras_config.keras_home()]
    folders += [Path(home).expanduser() / cache_subdir for home in homes]
    return next((folder / fname for folder in folders if (folder / fname).is_file()), None)


def can_reach(url: str, timeout: float = 3.0) -> bool:
    """Whether a TCP connection to the URL's host opens within `timeout` seconds (DNS included)."""
    parts = urllib.parse.urlsplit(url)
    if not parts.hostname:
        return False
    address = (parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    opened: list[bool] = []

    def probe() -> None:
        try:
            socket.create_connection(address, timeout=timeout).close()
            opened.append(True)
        except OSError:
            pass

    thread = threading.Thread(target=probe, daemon=True)  # bounds a slow DNS lookup too
    thread.start()
    thread.join(timeout)
    return bool(opened)


@contextlib.contextmanager
def local_weights(application: str = "this backbone") -> Iterator[None]:
    """While active, Keras' get_file serves files found locally, downloads only when online, else one-line RunError."""
    with _LOCK:
        real_get_file = file_utils.get_file
        owner = threading.get_ident()

        def get_file(fname: str | None = None, origin: str | None = None, *args: Any, **kwargs: Any) -> str:
            if threading.get_ident() != owner or not fname:  # other threads' downloads are not ours to change
                return real_get_file(fname, origin, *args, **kwargs)
            found = find_weights_file(fname, kwargs.get("cache_subdir", "models"))
            if found is not None:
                return str(found)
            home = Path(keras_config.keras_home()) / kwargs.get("cache_subdir", "models")
            if not can_reach(origin or ""):
                raise RunError(
                    f"weights file {fname} for {application} not found and no network to download it: "
                    f"put it in a folder on {_DATA_PATH_VAR} (or its models/ subfolder) or in {home}/; it comes from {origin}")
            try:
                return real_get_file(fname, origin, *args, **kwargs)
            except Exception as exc:  # Keras raises a bare Exception on fetch failures
                raise RunError(f"cannot download {fname} for {application} from {origin}: {exc}".splitlines()[0]) from exc

        file_utils.get_file = get_file
        try:
            yield
        finally:
            file_utils.get_file = real_get_file


def resolve_weights(application: str, weights: str | None, base: Path | None = None) -> str | None:
    """None for random init, "imagenet" (found by `local_weights` while building), or an existing file's path."""
    _known(application)
    if weights is None or str(weights).lower() == "none":
        return None
    if weights == "imagenet":
        return "imagenet"
    path = Path(str(weights)).expanduser()
    if not path.is_absolute() and base is not None:
        path = Path(base) / path
    if base is not None and not inside(path, base):  # a link out of the experiment's folder: never read
        raise RunError(f"weights file for {application} leads outside the experiment's folder: {weights} -> {path.resolve()}")
    if not path.is_file():
        raise RunError(f"weights file for {application} not found: {path} (expected 'imagenet', 'none' or a weights file)")
    return str(path)


def _input_size(args: dict[str, Any]) -> tuple[int, int] | None:
    size = args.get("input_size")
    if size is None:
        return None
    pair = (size, size) if isinstance(size, int) else tuple(size)
    if len(pair) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in pair):
        raise RunError(f"input_size: expected a positive integer or [height, width]. Received: {size}")
    return pair  # type: ignore[return-value]


def backbone_input_shape(args: dict[str, Any], input_shape: tuple[int, ...]) -> tuple[int, int, int]:
    """The (height, width, 3) the backbone sees: `input_size` if given, else the images' own size."""
    if len(input_shape) != 3 or input_shape[-1] not in (1, 3):
        raise RunError(f"a backbone needs images of shape (height, width, 1 or 3). Received: {tuple(input_shape)}")
    height, width = _input_size(args) or tuple(input_shape[:2])
    return (height, width, 3)


def _check_args(application: str, args: dict[str, Any]) -> None:
    for key in args:
        if key not in BACKBONE_ARGS:
            raise RunError(f"unknown backbone argument '{key}'; known: {', '.join(BACKBONE_ARGS)}.{did_you_mean(key, BACKBONE_ARGS)}")
    if args.get("include_top", False) is not False:
        raise RunError(f"{application}: include_top must be false (the run adds its own head). Received: {args['include_top']}")
    if args.get("pooling") not in (None, "avg", "max"):
        raise RunError(f"{application}: pooling must be 'avg', 'max' or null. Received: {args['pooling']}")
    if not isinstance(args.get("trainable", False), bool):
        raise RunError(f"{application}: trainable must be true or false. Received: {args['trainable']}")
    if "alpha" in args and application not in _TAKES_ALPHA:
        raise RunError(f"{application} takes no alpha (only {', '.join(_TAKES_ALPHA)} do)")


def make_backbone(application: str, args: dict[str, Any], input_shape: tuple[int, int, int], name: str,
                  base: Path | None = None) -> keras.Model:
    """keras.applications.<application>(include_top=False, ...) named `name`, frozen unless args say trainable."""
    cls = getattr(keras.applications, _known(application))
    _check_args(application, args)
    kwargs: dict[str, Any] = {
        "include_top": False,
        "weights": resolve_weights(application, args.get("weights", "imagenet"), base),
        "input_shape": backbone_input_shape(args, input_shape),
        "pooling": args.get("pooling"),
        "name": name,
    }
    if "alpha" in args:
        kwargs["alpha"] = args["alpha"]
    try:
        with local_weights(application):
            backbone = cls(**kwargs)
    except (ValueError, TypeError, OSError, KeyError) as exc:  # sizes too small, bad alpha, unreadable or mismatched file
        raise RunError(f"backbone '{name}' ({application}): {exc}".strip().splitlines()[0]) from exc
    _set_trainable(backbone, bool(args.get("trainable", False)))
    return backbone


def apply_backbone(x: Any, application: str, args: dict[str, Any], value_scale: float, name: str,
                   base: Path | None = None) -> Any:
    """x -> [Resizing] -> BackbonePreprocess -> backbone(training=False); `value_scale` maps x back to 0..255."""
    shape = tuple(x.shape[1:])
    backbone = make_backbone(application, args, shape, name, base)
    size = _input_size(args)
    if size is not None:
        x = keras.layers.Resizing(*size, name=f"{name}_resize")(x)
    x = BackbonePreprocess(application, value_scale, name=f"{name}_preprocess")(x)
    return backbone(x, training=False)  # BatchNormalization stays in inference mode, even once unfrozen


def _set_trainable(layer: keras.layers.Layer, value: bool) -> None:
    # Not `layer.trainable = value`: on the TensorFlow backend, assigning the value an attribute already holds
    # is skipped (KerasAutoTrackable.__setattr__), so a trainable model would not re-thaw its frozen sublayers.
    keras.layers.Layer.trainable.fset(layer, value)


def backbones_in(model: keras.Model) -> list[keras.Model]:
    """The nested models (backbones) among `model`'s layers; they survive save/load as nested models."""
    return [layer for layer in model.layers if isinstance(layer, keras.Model)]


def unfreeze_top(model: keras.Model, n: int | None) -> int:
    """Unfreeze the top `n` (None: all) layers with parameters of each backbone or inherited base (BatchNormalization
    never counts nor thaws)."""
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 0):
        raise RunError(f"unfreeze: expected a non-negative number of layers. Received: {n}")
    backbones = backbones_in(model)
    if not backbones:
        raise RunError(f"model '{model.name}' has no backbone to unfreeze")
    unfrozen = 0
    for backbone in backbones:
        _set_trainable(backbone, True)  # every sublayer trainable, so trainable_weights tells which layers learn
        learning = [layer for layer in backbone.layers
                    if layer.trainable_weights and not isinstance(layer, keras.layers.BatchNormalization)]
        top = {id(layer) for layer in learning[len(learning) - min(len(learning) if n is None else n, len(learning)):]}
        for layer in backbone.layers:
            _set_trainable(layer, id(layer) in top)
        unfrozen += len(top)
    return unfrozen
