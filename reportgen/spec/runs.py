"""Readers for runs: models as layer lists, training settings and callbacks."""

from __future__ import annotations

import re
from dataclasses import replace, fields
from typing import Any

from . import catalog
from ..limits import exceeded, limit
from .args import read_args, read_bounded
from .blocks import RepeatSpec, expand, read_repeat
from .check import INVALID, Checker
from .graph import read_graph, unique_names
from .model import CallbackSpec, FineTuneSpec, LayerSpec, ModelSpec, TrainingSpec
from .yamlsource import Located

__all__ = ["read_items", "read_layers", "read_named", "read_training", "TRAINING_KEYS"]

RESERVED_NAMES = ("image", "scale", "flatten_input")  # the layers model.build_model puts before the spec's
TRAINING_KEYS = ("optimizer", "learning_rate", "loss", "metrics", "epochs", "batch_size", "validation", "seed", "callbacks", "precision",
                 "fine_tune")


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{0,127}")


def read_layer(c: Checker, node: Located, path: str) -> LayerSpec | Any:
    """`Flatten`, `{Dense: 128}` or `{Conv2D: {filters: 32, kernel_size: 3}}`."""
    named = c.single_key(node, path, "a layer: a name such as Flatten, or a mapping such as {Dense: {units: 10}}")
    if named is INVALID:
        return INVALID
    kind, args = named
    if kind not in catalog.LAYERS:
        return c.name_in(Located(kind, node.mark), path, list(catalog.LAYERS), "layer")
    where = f"{path}.{kind}"
    if args is not None and not isinstance(args.value, (dict, type(None))):
        main = catalog.LAYER_MAIN_ARG.get(kind)
        if main is None:
            return c.expected(args, where, f"a mapping of {kind} arguments")
        args = Located({main: args}, args.mark, {main: args.mark})
    if args is None:
        args = Located({}, node.mark, {})
    values = read_args(c, args, where, catalog.LAYERS[kind], catalog.REQUIRED_ARGS.get(kind, ()), extra=("name",))
    if values is not INVALID and "name" in values and not _NAME.fullmatch(str(values["name"])):
        return c.fail(args.value["name"].mark, f"{where}.name", "expected a layer name of letters, digits, '_', '-' and '.' "
                                                                f"(as Keras names layers). Received: {str(values['name'])[:60]!r}")
    if values is not INVALID and values.get("name") in RESERVED_NAMES:
        return c.fail(args.value["name"].mark, f"{where}.name", f"expected a layer name other than {', '.join(RESERVED_NAMES)} "
                                                                f"(the model's own input layers). Received: '{values['name']}'")
    return INVALID if values is INVALID else LayerSpec(kind, values, where=f"{node.mark}: {path}")


def read_items(c: Checker, node: Located, path: str) -> list[LayerSpec | RepeatSpec] | Any:
    """A list of layers and repeat blocks."""
    items = c.sequence(node, path, "a list of layers", allow_empty=False)
    if items is INVALID:
        return INVALID
    read = [read_repeat(c, item, p, lambda n, q: read_items(c, n, q)) if isinstance(item.value, dict) and "repeat" in item.value
            else read_layer(c, item, p) for item, p in ((item, f"{path}[{i}]") for i, item in enumerate(items))]
    return INVALID if INVALID in read else read


def _unrolled(items: list[LayerSpec | RepeatSpec] | tuple[LayerSpec | RepeatSpec, ...]) -> int:
    """How many layers items unroll to, repeat blocks counted without unrolling them."""
    return sum(item.times * _unrolled(item.items) if isinstance(item, RepeatSpec) else 1 for item in items)


def _count_layers(c: Checker, node: Located, path: str, structure: list[LayerSpec | RepeatSpec], before: int = 0) -> int | Any:
    """The model's layers so far with these items; past limit('layers'), a problem at the item that takes it there."""
    total = before
    for i, item in enumerate(structure):
        total += _unrolled([item])
        if total > limit("layers"):
            return c.fail(node.value[i].mark, f"{path}[{i}]", exceeded("layers", f"{total:,} up to this item"))
    return total


def _graph_items(c: Checker) -> Any:
    """read_items for a graph's nodes, counting their layers together against limit('layers')."""
    total: int | Any = 0

    def read(node: Located, path: str) -> list[LayerSpec | RepeatSpec] | Any:
        nonlocal total
        structure = read_items(c, node, path)
        if structure is INVALID or total is INVALID:
            return INVALID
        total = _count_layers(c, node, path, structure, total)
        return INVALID if total is INVALID else structure

    return read


def read_layers(c: Checker, node: Located, path: str) -> ModelSpec | Any:
    """A model: a list of layers and repeat blocks, a mapping with `layers:`, or a graph (`nodes:`)."""
    if isinstance(node.value, dict) and "nodes" in node.value:
        return read_graph(c, node, path, _graph_items(c))
    if isinstance(node.value, dict):
        entries = c.mapping(node, path, ["layers", "nodes"], required=["layers"])
        if entries is INVALID or "layers" not in entries:
            return INVALID
        node, path = entries["layers"], f"{path}.layers"
    structure = read_items(c, node, path)
    if structure is INVALID or _count_layers(c, node, path, structure) is INVALID:
        return INVALID
    layers = expand(tuple(structure))  # at most limit('layers')
    if not unique_names(c, layers, node, path):
        return INVALID
    merges = [layer for layer in layers if layer.kind in catalog.MERGES]
    if merges:
        return c.fail(node.mark, path, f"expected layers that take one input. Received: {merges[0].kind}, a merge of several "
                                       "inputs; write the model as a graph (`nodes:`) to merge branches")
    return ModelSpec(tuple(layers), tuple(structure))



def read_named(c: Checker, node: Located, path: str, schema: dict[str, dict[str, str]], kind: str, example: str,
               aliases: dict[str, str] | None = None) -> tuple[str, dict[str, Any]] | Any:
    """`name` or `{name: {args}}` of a catalogue (optimizers, callbacks, estimators), arguments checked; `aliases` are
    other spellings of a name (Keras' class names of the optimizers), read as that name."""
    named = c.single_key(node, path, f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} such as {example}")
    if named is INVALID:
        return INVALID
    name, args = named
    name = (aliases or {}).get(name, name)
    if name not in schema:
        return c.name_in(Located(name, node.mark), path, list(schema), kind)
    values = read_args(c, args or Located({}, node.mark, {}), f"{path}.{name}", schema[name])
    return INVALID if values is INVALID else (name, values)


def _optimizer(c: Checker, node: Located, path: str) -> tuple[str, dict[str, Any]] | Any:
    return read_named(c, node, path, catalog.OPTIMIZERS, "optimizer", "adam, or {sgd: {momentum: 0.9}}",
                      aliases=catalog.OPTIMIZER_CLASSES)


def _callback(c: Checker, node: Located, path: str) -> CallbackSpec | Any:
    named = read_named(c, node, path, catalog.CALLBACKS, "callback", "{EarlyStopping: {patience: 3}}")
    return INVALID if named is INVALID else CallbackSpec(*named)


def _validation(c: Checker, node: Located, path: str) -> str | float | Any:
    if isinstance(node.value, str):
        return c.choice(node, path, ("test", "none"), "'test', 'none' or a fraction in (0, 1); one of")
    value = c.number(node, path, minimum=0, maximum=0.9, exclusive_min=True)
    return value


def _fine_tune(c: Checker, node: Located, path: str) -> FineTuneSpec | Any:
    """`{layers: N | all, epochs: E, learning_rate: 1e-5}`: unfreeze the top N layers (default all) of each backbone, or
    of the base inherited with `from:`, for E more epochs."""
    entries = c.mapping(node, path, ("layers", "epochs", "learning_rate"), required=("epochs",))
    if entries is INVALID or "epochs" not in entries:
        return INVALID
    layers = entries.get("layers")
    values = {"layers": None if layers is None or layers.value == "all" else c.integer(layers, f"{path}.layers", minimum=0),
              "epochs": read_bounded(c, entries["epochs"], f"{path}.epochs", "epochs")}
    if "learning_rate" in entries:
        values["learning_rate"] = c.number(entries["learning_rate"], f"{path}.learning_rate", minimum=0, exclusive_min=True)
    return INVALID if INVALID in values.values() else FineTuneSpec(**values)


def _reconstruction(c: Checker, values: dict[str, Any], marks: dict[str, tuple[Located, str]]) -> bool:
    """An autoencoder's loss and metrics compare images: MSE by default, never a classification loss or accuracy. The
    file's defaults for classifiers (`training:` at the top) do not apply to it; its own settings must fit it."""
    for key, fits in (("loss", lambda v: v in catalog.RECONSTRUCTION_LOSSES),
                      ("metrics", lambda v: all(m in catalog.RECONSTRUCTION_METRICS for m in v))):
        if key in values and marks[key][1].startswith("training.") and not fits(values[key]):
            del values[key]  # a classifier's default, written for the file's other runs
    if "callbacks" in values and marks["callbacks"][1].startswith("training."):  # e.g. a checkpoint on val_accuracy
        values["callbacks"] = tuple(c for c in values["callbacks"] if "accuracy" not in _full_monitor(str(c.args.get("monitor", ""))))
    values.setdefault("loss", "mean_squared_error")
    values.setdefault("metrics", ())
    ok = True
    if values["loss"] not in catalog.RECONSTRUCTION_LOSSES:
        node, p = marks["loss"]
        c.fail(node.mark, p, f"expected a reconstruction loss for task reconstruct: {', '.join(catalog.RECONSTRUCTION_LOSSES)}. "
                             f"Received: {values['loss']}")
        ok = False
    wrong = [m for m in values["metrics"] if m not in catalog.RECONSTRUCTION_METRICS]
    if wrong:
        node, p = marks["metrics"]
        c.fail(node.mark, p, f"expected reconstruction metrics for task reconstruct: {', '.join(catalog.RECONSTRUCTION_METRICS)} "
                             f"(MSE and PSNR on the test set are always reported). Received: {wrong[0]}")
        ok = False
    return ok


def _total_epochs(c: Checker, values: dict[str, Any], marks: dict[str, tuple[Located, str]]) -> bool:
    """The epochs of both phases (training, then fine-tuning) are at most limit('epochs') together."""
    fine = values.get("fine_tune")
    total = values.get("epochs", TrainingSpec.epochs) + (fine.epochs if fine else 0)
    if total <= limit("epochs"):
        return True
    node, path = marks["fine_tune"]
    epochs = node.value["epochs"] if isinstance(node.value, dict) and "epochs" in node.value else node
    c.fail(epochs.mark, f"{path}.epochs", exceeded("epochs", f"{total:,} ({values.get('epochs', TrainingSpec.epochs):,} then "
                                                            f"{fine.epochs:,} fine-tuning)"))
    return False


def read_training(c: Checker, sources: list[tuple[Located, str]], path: str, task: str = "classify") -> TrainingSpec | Any:
    """Merge training mappings (the file's defaults first, then the run's own) into one TrainingSpec; an autoencoder
    (task reconstruct) defaults to the mean squared error and takes only reconstruction losses and metrics."""
    values: dict[str, Any] = {}
    marks: dict[str, tuple[Located, str]] = {}
    ok = True
    for node, where in sources:
        entries = c.mapping(node, where, TRAINING_KEYS)
        if entries is INVALID:
            ok = False
            continue
        for key, value in entries.items():
            p = f"{where}.{key}"
            marks[key] = (value, p)
            if key == "optimizer":
                got = _optimizer(c, value, p)
                if got is not INVALID:
                    values["optimizer"], values["optimizer_args"] = got
                    continue
            elif key == "learning_rate":
                got = values[key] = c.number(value, p, minimum=0, exclusive_min=True)
            elif key == "loss":
                got = values[key] = c.choice(_unaliased(value), p, catalog.LOSSES, "a loss:")
            elif key == "metrics":
                items = c.sequence(value, p, "a list of metrics")
                got = INVALID if items is INVALID else tuple(c.each(items, p, lambda n, q: c.choice(_unaliased(n), q, catalog.METRICS, "a metric:")))
                if got is not INVALID and INVALID in got:
                    got = INVALID
                values[key] = got
            elif key == "epochs":
                got = values[key] = read_bounded(c, value, p, "epochs")
            elif key == "batch_size":
                got = values[key] = c.integer(value, p, minimum=1)
            elif key == "seed":
                got = values[key] = c.integer(value, p, minimum=0)
            elif key == "validation":
                got = values[key] = _validation(c, value, p)
            elif key == "fine_tune":
                got = values[key] = _fine_tune(c, value, p)
            elif key == "precision":
                got = values[key] = c.choice(value, p, ("float32", "mixed_bfloat16", "mixed_float16"))
            else:  # callbacks
                items = c.sequence(value, p, "a list of callbacks")
                got = INVALID if items is INVALID else tuple(c.each(items, p, lambda n, q: _callback(c, n, q)))
                if got is not INVALID and INVALID in got:
                    got = INVALID
                values[key] = got
            ok = ok and got is not INVALID
    if ok and task == "reconstruct":
        ok = _reconstruction(c, values, marks)
    ok = ok and _total_epochs(c, values, marks) and _monitors(c, values, marks)
    if not ok:
        return INVALID
    known = {f.name for f in fields(TrainingSpec)}
    return TrainingSpec(**{k: v for k, v in values.items() if k in known})


_DEFAULT_MONITOR = "val_loss"  # what Keras' EarlyStopping, ModelCheckpoint and ReduceLROnPlateau watch unless told


def _full_monitor(written: str) -> str:
    """A monitored name with Keras' short metric names written out: val_acc -> val_accuracy, mse -> mean_squared_error."""
    prefix, name = ("val_", written[4:]) if written.startswith("val_") else ("", written)
    return prefix + catalog.ALIASES.get(name.lower(), name)


def _monitors(c: Checker, values: dict[str, Any], marks: dict[str, tuple[Located, str]]) -> bool:
    """Every callback watches a number the training logs: the loss or a metric, `val_` ones only when something is
    validated on. Keras' short names (val_acc, mse) are read as the full ones; a name never logged is refused here, not
    after the other runs trained (Keras only warns, or fails at the first epoch, and the report would name an epoch)."""
    callbacks = values.get("callbacks", ())
    if not callbacks:
        return True
    logged = ["loss", *values.get("metrics", TrainingSpec.metrics)]
    if values.get("validation", TrainingSpec.validation) != "none":
        logged += [f"val_{name}" for name in logged]
    node, path = marks["callbacks"]
    items = node.value if isinstance(node.value, list) else []
    names = [item.value if isinstance(item.value, str) else next(iter(item.value), None) if isinstance(item.value, dict) else None
             for item in items]
    ok, kept = True, []
    for n, callback in enumerate(callbacks):
        if "monitor" not in catalog.CALLBACKS[callback.kind]:
            kept.append(callback)
            continue
        written = callback.args.get("monitor", _DEFAULT_MONITOR)
        monitor = _full_monitor(written)
        if monitor not in logged:
            # where it is written (a run may have dropped callbacks of the file's defaults that do not fit it)
            same = sum(other.kind == callback.kind for other in callbacks[:n])
            i = [j for j, name in enumerate(names) if name == callback.kind][same] if names.count(callback.kind) > same else n
            where, at = (items[i].mark if i < len(items) else node.mark), f"{path}[{i}].{callback.kind}.monitor"
            default = "" if "monitor" in callback.args else f" (Keras' default for {callback.kind})"
            why = "; nothing is validated on (validation: none)" if monitor.startswith("val_") and "val_loss" not in logged else ""
            if not c.said(where, at):  # the file's defaults are every run's: one message
                c.fail(where, at, f"expected a number the training logs: {', '.join(logged)}{why}. Received: '{written}'{default}")
            ok = False
        kept.append(replace(callback, args={**callback.args, "monitor": monitor}) if "monitor" in callback.args else callback)
    values["callbacks"] = tuple(kept)
    return ok


def _unaliased(node: Located) -> Located:
    """`mse`, `MAE`, `acc` (names Keras accepts) as the full name they stand for; anything else as written."""
    if isinstance(node.value, str) and node.value.lower() in catalog.ALIASES:
        return Located(catalog.ALIASES[node.value.lower()], node.mark)
    return node
