"""Readers for what a run fits and where it starts: task, noise, code, pool, labels, `from:`, `estimator:`, `features:`."""

from __future__ import annotations

from typing import Any

from . import catalog
from .check import INVALID, Checker
from .model import TASKS, EstimatorSpec, FeaturesSpec, StartSpec
from .runs import read_named
from .yamlsource import Located

__all__ = ["KIND_KEYS", "read_kind"]

KIND_KEYS = ("task", "code", "noise", "pool", "labels", "from", "estimator", "features")
_SPLITS = ("train", "test")
_ONLY = {"code": "reconstruct", "noise": "reconstruct", "pool": "reconstruct"}  # keys that only a task takes


def _start(c: Checker, node: Located, path: str) -> StartSpec | Any:
    """`{run: NAME, upto: LAYER}` (the parent's model up to LAYER as a base) or `{run: NAME, layers: [A, B]}`."""
    entries = c.mapping(node, path, ("run", "upto", "layers", "trainable"), required=("run",))
    if entries is INVALID or "run" not in entries:
        return INVALID
    run = c.string(entries["run"], f"{path}.run")
    if ("upto" in entries) == ("layers" in entries):
        return c.fail(node.mark, path, "expected either `upto: LAYER` (the other run's model up to that layer, as a base) "
                                       "or `layers: [NAMES]` (weights copied into the layers of the same names)")
    upto = c.string(entries["upto"], f"{path}.upto") if "upto" in entries else None
    layers: Any = ()
    if "layers" in entries:
        items = c.sequence(entries["layers"], f"{path}.layers", "a list of layer names", allow_empty=False)
        layers = INVALID if items is INVALID else tuple(c.each(items, f"{path}.layers", c.string))
    trainable = c.boolean(entries["trainable"], f"{path}.trainable") if "trainable" in entries else True
    if INVALID in (run, upto, layers, trainable) or (isinstance(layers, tuple) and INVALID in layers):
        return INVALID
    return StartSpec(run, upto, layers, trainable, where=f"{node.mark}: {path}")


def _estimator(c: Checker, node: Located, path: str) -> EstimatorSpec | Any:
    named = read_named(c, node, path, catalog.ESTIMATORS, "estimator", "SVC, or {SVC: {C: 10, kernel: rbf}} (scikit-learn)")
    return INVALID if named is INVALID else EstimatorSpec(*named)


def _features(c: Checker, node: Located, path: str) -> FeaturesSpec | Any:
    """`pixels`, or `{run: NAME, layer: LAYER}` (the layer defaults to the run's `code`)."""
    if node.value == "pixels":
        return FeaturesSpec()
    if not isinstance(node.value, dict):
        return c.expected(node, path, "pixels, or {run: NAME, layer: LAYER}: the output of a layer of another run")
    entries = c.mapping(node, path, ("run", "layer"), required=("run",))
    if entries is INVALID or "run" not in entries:
        return INVALID
    run = c.string(entries["run"], f"{path}.run")
    layer = c.string(entries["layer"], f"{path}.layer") if "layer" in entries else None
    return INVALID if INVALID in (run, layer) else FeaturesSpec(run, layer, where=f"{node.mark}: {path}")


def _pool(c: Checker, node: Located, path: str) -> tuple[str, ...] | Any:
    items = c.sequence(node, path, "a list of splits such as [train, test]", allow_empty=False)
    if items is INVALID:
        return INVALID
    splits = c.each(items, path, lambda n, p: c.choice(n, p, _SPLITS, "a split:"))
    if INVALID in splits:
        return INVALID
    if "train" not in splits or len(set(splits)) != len(splits):
        return c.expected(node, path, "train, once, and optionally test (the unlabelled pool an autoencoder learns from)")
    return tuple(splits)


def read_kind(c: Checker, run: Located, fields: dict[str, Located], where: str) -> dict[str, Any] | Any:
    """The RunSpec fields a run's kind keys give; problems located (a key another kind takes, a missing model)."""
    out: dict[str, Any] = {}
    if "estimator" in fields:
        for key in ("model", "task", "from", *_ONLY):
            if key in fields:
                return c.fail(fields[key].mark, f"{where}.{key}", "expected no such key in a run with `estimator:` (it fits a "
                                                                 "scikit-learn estimator on `features:`, not a Keras model)")
        out["estimator"] = _estimator(c, fields["estimator"], f"{where}.estimator")
        out["features"] = _features(c, fields["features"], f"{where}.features") if "features" in fields else FeaturesSpec()
    else:
        if "features" in fields:
            return c.fail(fields["features"].mark, f"{where}.features", "expected `features:` only with an `estimator:`")
        if "model" not in fields:
            return c.fail(run.mark, where, "missing required key 'model' (or `estimator:` for a scikit-learn estimator)")
        task = c.choice(fields["task"], f"{where}.task", TASKS, "a task:") if "task" in fields else "classify"
        if task is INVALID:
            return INVALID
        out["task"] = task
        for key, needs in _ONLY.items():
            if key in fields and task != needs:
                c.fail(fields[key].mark, f"{where}.{key}", f"expected `{key}:` only with `task: {needs}`. Received: task {task}")
        if "code" in fields:
            out["code"] = c.string(fields["code"], f"{where}.code")
        if "noise" in fields:
            out["noise"] = c.number(fields["noise"], f"{where}.noise", minimum=0, maximum=4, exclusive_min=True)
        if "pool" in fields:
            out["pool"] = _pool(c, fields["pool"], f"{where}.pool")
        if "from" in fields:
            out["start"] = _start(c, fields["from"], f"{where}.from")
    if "labels" in fields:
        if out.get("task") == "reconstruct":
            return c.fail(fields["labels"].mark, f"{where}.labels", "expected no labelled budget on a reconstruct run (it uses no "
                                                                    "labels; its images are `pool:`)")
        out["labels"] = c.integer(fields["labels"], f"{where}.labels", minimum=1)
    return INVALID if INVALID in out.values() else out
