"""Readers for the argument kinds of layers, optimizers and callbacks (see spec.catalog)."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any, Callable

from ..limits import exceeded, limit
from . import catalog
from .check import INVALID, Checker
from .yamlsource import Located

__all__ = ["read_arg", "read_args", "read_bounded"]


def read_bounded(c: Checker, node: Located, path: str, name: str, minimum: int = 1) -> int | Any:
    """An integer of at least `minimum` and at most limit(name) (past it: the limit's message, located at the value)."""
    value = c.integer(node, path, minimum=minimum)
    if value is not INVALID and value > limit(name):
        return c.fail(node.mark, path, exceeded(name, f"{value:,}"))
    return value


def _width(c: Checker, node: Located, path: str) -> Any:
    """Units, filters, a side in pixels: a positive integer of at most limit('layer_width')."""
    return read_bounded(c, node, path, "layer_width")


def _size(c: Checker, node: Located, path: str) -> Any:
    """A kernel, pool, stride or image size: a width or a list of 1-3 widths."""
    if isinstance(node.value, list):
        if len(node.value) not in (1, 2, 3):
            return c.expected(node, path, "a positive integer or a list of 1-3 positive integers")
        values = [_width(c, item, f"{path}[{i}]") for i, item in enumerate(node.value)]
        return INVALID if INVALID in values else values
    return _width(c, node, path)


def _shape(c: Checker, node: Located, path: str) -> Any:
    items = c.sequence(node, path, "a list of positive integers (a shape)", allow_empty=False)
    if items is INVALID:
        return INVALID
    values = [_width(c, item, f"{path}[{i}]") for i, item in enumerate(items)]
    return INVALID if INVALID in values else values


def _regularizer(c: Checker, node: Located, path: str) -> Any:
    """`{l2: 0.05}`, `{l1: 0.01}` or both."""
    entries = c.mapping(node, path, catalog.REGULARIZERS, what="a regularizer such as {l2: 0.05}")
    if entries is INVALID:
        return INVALID
    if not entries:
        return c.expected(node, path, "a regularizer such as {l2: 0.05}")
    values = {k: c.number(v, f"{path}.{k}", minimum=0) for k, v in entries.items()}
    return INVALID if INVALID in values.values() else values


def _factor(c: Checker, node: Located, path: str) -> Any:
    """A fraction such as 0.1, or a [low, high] pair as Keras accepts."""
    if isinstance(node.value, list):
        return _range(c, node, path)
    return c.number(node, path, minimum=0, maximum=1)


def _range(c: Checker, node: Located, path: str) -> Any:
    items = c.sequence(node, path, "a [low, high] pair of numbers")
    if items is INVALID:
        return INVALID
    if len(items) != 2:
        return c.expected(node, path, "a [low, high] pair of numbers")
    values = [c.number(item, f"{path}[{i}]") for i, item in enumerate(items)]
    if INVALID in values:
        return INVALID
    if values[0] > values[1]:
        return c.expected(node, path, "low <= high")
    return values


def _weights(c: Checker, node: Located, path: str) -> Any:
    """`imagenet`, `none`, or a weights file inside the experiment's folder (a relative path that does not climb out)."""
    value = c.string(node, path)
    if value is INVALID or value in ("imagenet", "none"):
        return value
    parts = PurePosixPath(value.replace("\\", "/")).parts
    if value.startswith(("/", "~")) or ":" in value or ".." in parts:
        return c.expected(node, path, "imagenet, none, or a weights file inside the experiment's folder (a relative path "
                                      "without '..')")
    return value


def _gamma(c: Checker, node: Located, path: str) -> Any:
    """SVC's `gamma`: 'scale', 'auto' or a positive number."""
    if isinstance(node.value, str):
        return c.choice(node, path, ("scale", "auto"), "'scale', 'auto' or a positive number; one of")
    return c.number(node, path, minimum=0, exclusive_min=True)


def _texts(c: Checker, node: Located, path: str) -> Any:
    items = c.sequence(node, path, "a list of texts", allow_empty=False)
    if items is INVALID:
        return INVALID
    values = [c.string(item, f"{path}[{i}]") if not isinstance(item.value, (int, float)) else str(item.value)
              for i, item in enumerate(items)]
    return INVALID if INVALID in values else values


_READERS: dict[str, Callable[[Checker, Located, str], Any]] = {
    "pos_int": lambda c, n, p: c.integer(n, p, minimum=1),
    "width": _width,
    "figure_count": lambda c, n, p: read_bounded(c, n, p, "figure_images"),
    "estimator_count": lambda c, n, p: read_bounded(c, n, p, "estimator_size"),
    "nonneg_int": lambda c, n, p: c.integer(n, p, minimum=0),
    "int": lambda c, n, p: c.integer(n, p),
    "number": lambda c, n, p: c.number(n, p),
    "interpolation": lambda c, n, p: c.choice(n, p, ("nearest", "bilinear", "bicubic", "area", "lanczos3")),
    "size": _size,
    "shape": _shape,
    "padding": lambda c, n, p: c.choice(n, p, ("valid", "same")),
    "activation": lambda c, n, p: c.choice(n, p, catalog.ACTIVATIONS, "an activation:"),
    "initializer": lambda c, n, p: c.choice(n, p, catalog.INITIALIZERS, "an initializer:"),
    "regularizer": _regularizer,
    "bool": lambda c, n, p: c.boolean(n, p),
    "rate": lambda c, n, p: c.number(n, p, minimum=0, maximum=1),
    "unit_float": lambda c, n, p: c.number(n, p, minimum=0, maximum=1),
    "pos_float": lambda c, n, p: c.number(n, p, minimum=0, exclusive_min=True),
    "nonneg_float": lambda c, n, p: c.number(n, p, minimum=0),
    "monitor": lambda c, n, p: c.string(n, p),
    "mode": lambda c, n, p: c.choice(n, p, ("auto", "min", "max")),
    "factor": _factor,
    "range": _range,
    "flip_mode": lambda c, n, p: c.choice(n, p, ("horizontal", "vertical", "horizontal_and_vertical")),
    "fill_mode": lambda c, n, p: c.choice(n, p, ("reflect", "wrap", "constant", "nearest")),
    "text": lambda c, n, p: c.string(n, p),
    "weights": _weights,
    "pooling": lambda c, n, p: c.choice(n, p, ("avg", "max")),
    "texts": _texts,
    "path": lambda c, n, p: c.string(n, p),
    "svm_kernel": lambda c, n, p: c.choice(n, p, ("linear", "poly", "rbf", "sigmoid")),
    "gamma": _gamma,
    "class_weight": lambda c, n, p: c.choice(n, p, ("balanced",)),
    "dual": lambda c, n, p: c.choice(n, p, (True, False, "auto")),
    "lr_solver": lambda c, n, p: c.choice(n, p, ("lbfgs", "liblinear", "newton-cg", "newton-cholesky", "sag", "saga")),
    "projection": lambda c, n, p: c.choice(n, p, ("pca", "tsne")),
    "knn_weights": lambda c, n, p: c.choice(n, p, ("uniform", "distance")),
}


def read_arg(c: Checker, kind: str, node: Located, path: str) -> Any:
    """Check one argument of a declared kind."""
    return _READERS[kind](c, node, path)


def read_args(
    c: Checker, node: Located, path: str, schema: dict[str, str], required: tuple[str, ...] = (), extra: tuple[str, ...] = ()
) -> dict[str, Any] | Any:
    """Check an argument mapping against a schema; unknown keys get a did-you-mean."""
    if node.value is None:
        node = Located({}, node.mark, {})
    entries = c.mapping(node, path, [*schema, *extra], required=required)
    if entries is INVALID:
        return INVALID
    values = {key: read_arg(c, schema.get(key, "text"), value, f"{path}.{key}") for key, value in entries.items()}
    return INVALID if INVALID in values.values() else values
