"""A run as notebook code: its data prepared, its model built (a loop over seeds and sweep values), fitted, evaluated."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..spec import DatasetSpec, ExperimentSpec, RunSpec, catalog
from .code import Identifiers, NotExportable, build_function, keyword_name, literal, optimizer_class

__all__ = ["Group", "group_runs", "run_cells"]


@dataclass
class Group:
    """Runs written as one loop: the variants of one sweep (or a run alone), each trained once per seed."""

    runs: list[RunSpec]
    params: dict[int, dict[str, str]] = field(default_factory=dict)  # layer position -> {argument: parameter name}
    values: list[dict[str, Any]] = field(default_factory=list)  # per run: parameter name -> value

    @property
    def name(self) -> str:
        return self.runs[0].name.split("[")[0]


def _varying(runs: list[RunSpec]) -> tuple[dict[int, dict[str, str]], list[dict[str, Any]]] | None:
    """The layer arguments in which the runs' models differ, as parameters; None when they differ in more (other
    layers, training, data)."""
    first = runs[0]
    for run in runs[1:]:
        if (run.training, run.dataset, run.subset, run.task, run.code, run.noise, run.pool, run.labels, run.start,
                run.estimator, run.features, run.seeds, run.model.is_graph) != (
                first.training, first.dataset, first.subset, first.task, first.code, first.noise, first.pool, first.labels,
                first.start, first.estimator, first.features, first.seeds, first.model.is_graph):
            return None
        if first.model.is_graph or len(run.model.layers) != len(first.model.layers):
            return None
        if any(a.kind != b.kind or set(a.args) != set(b.args) for a, b in zip(first.model.layers, run.model.layers)):
            return None
    params: dict[int, dict[str, str]] = {}
    names = Identifiers({"keras", "np"})
    for i, layer in enumerate(first.model.layers):
        for key in layer.args:
            if key == "name" or len({literal(r.model.layers[i].args[key]) for r in runs}) == 1:
                continue
            if key.endswith("_regularizer") or not isinstance(layer.args[key], (int, float, str, bool)):
                return None
            params.setdefault(i, {})[key] = names.make(keyword_name(key))
    values = [{p: run.model.layers[i].args[key] for i, keys in params.items() for key, p in keys.items()} for run in runs]
    return params, values


def group_runs(runs: list[RunSpec]) -> list[Group]:
    """Runs in order, the variants of a sweep together as one group when only layer arguments tell them apart."""
    groups: list[Group] = []
    for run in runs:
        last = groups[-1] if groups else None
        if last and run.sweep and last.runs[0].sweep and run.name.split("[")[0] == last.name:
            last.runs.append(run)
        else:
            groups.append(Group([run]))
    out = []
    for group in groups:
        estimators = group.runs[0].kind == "estimator"
        varying = _varying(group.runs) if len(group.runs) > 1 and not estimators else ({}, [{}]) if len(group.runs) == 1 else None
        if varying is None:
            out.extend(Group([run], {}, [{}]) for run in group.runs)
        else:
            group.params, group.values = varying
            out.append(group)
    return out


@dataclass
class Context:
    """What run code needs of the experiment and of its results: datasets, each run's input shape and data sizes."""

    spec: ExperimentSpec
    shapes: dict[str, tuple[int, ...]]  # run -> input shape
    datasets: dict[str, dict[str, Any]]  # run -> its results' dataset description (classes, max_value)
    idents: Identifiers
    functions: dict[str, str] = field(default_factory=dict)  # run -> the call that builds its model (parents' for children)


def _callbacks(run: RunSpec, file: str) -> str:
    items = []
    for callback in run.training.callbacks:
        if not callback.kind.isidentifier():
            raise NotExportable(f"run '{run.name}': callback {callback.kind!r:.60} is not a Keras class")
        args = [f"{keyword_name(k)}={literal(v)}" for k, v in callback.args.items()]
        if callback.kind == "ModelCheckpoint":  # reportgen keeps the best weights in its work folder, then restores them
            args = [f"str(WEIGHTS / ({file} + '.best.weights.h5'))", "save_weights_only=True", *args]
        items.append(f"keras.callbacks.{callback.kind}({', '.join(args)})")
    return f"[{', '.join(items)}]"


def _compile(run: RunSpec, rate: str) -> str:
    t = run.training
    extra = "".join(f", {keyword_name(k)}={literal(v)}" for k, v in t.optimizer_args.items())
    return f"compile_model(model, {literal(optimizer_class(t.optimizer))}, {rate}, {literal(t.loss)}, {literal(list(t.metrics), False)}{extra})"


def _prepare(run: RunSpec, seed: str) -> str:
    args = [f"DATA[{literal(run.dataset)}]"]
    if run.subset:
        args.append(f"subset={literal(tuple(run.subset))}")
    if run.labels is not None:
        args.append(f"labels={run.labels}")
    if run.pool != ("train",):
        args.append(f"pool={literal(tuple(run.pool))}")
    if run.kind != "estimator" and isinstance(run.training.validation, float):
        args.append(f"validation={literal(run.training.validation)}")
    args.append(f"seed={seed}")
    return f"data = prepare({', '.join(args)})"


def _base(run: RunSpec, ctx: Context) -> list[str]:
    """A copy of the parent's trained model (its weights copied, as reportgen rebuilds it), cut at `upto`."""
    start = run.start
    if start is None:
        return []
    parent = ctx.spec.runs[start.run]
    if parent.start is not None:
        raise NotExportable(f"run '{run.name}': its parent '{parent.name}' starts from another run itself")
    if parent.seeds and len(parent.seeds) > 1:
        raise NotExportable(f"run '{run.name}': its parent '{parent.name}' has seed replicates")
    from ..model.build import safe_name

    lines = [f"parent = {ctx.functions[parent.name]}()",
             f"parent.set_weights(MODELS[{literal(parent.name)}].get_weights())  # a copy of its trained weights"]
    if start.upto:
        lines += [f"base = encoder(parent, {literal(start.upto)}, name={literal(safe_name(parent.name + '_base'))})",
                  f"base.trainable = {start.trainable}"]
    return lines


def run_cells(group: Group, ctx: Context) -> tuple[str, str]:
    """(the build function's source, the loop that trains and evaluates every run of the group for every seed)."""
    first = group.runs[0]
    shape = ctx.shapes[first.name]
    described = ctx.datasets[first.name]
    dataset: DatasetSpec = ctx.spec.datasets[first.dataset]
    function = ctx.idents.make(group.name if len(group.runs) > 1 else first.name, "build_")
    backbone = any(layer.kind in catalog.APPLICATIONS for layer in first.model.layers)
    for run in group.runs:
        ctx.functions[run.name] = function if not group.params else f"(lambda: {function}(" + ", ".join(
            f"{p}={literal(v)}" for p, v in group.values[group.runs.index(run)].items()) + "))"
    if first.kind == "estimator":
        return "", _estimator_loop(group, ctx, described)
    signature = ", ".join([*(["base"] if first.start and first.start.upto else []),
                           *(p for keys in group.params.values() for p in keys.values()), *(["saved=None"] if backbone else [])])
    source = build_function(function, first, dataset, shape, int(described["max_value"]), group.params, signature,
                            group.name if group.params else None, functional=first.task == "reconstruct" or _is_parent(first, ctx))
    return source, _loop(group, ctx, function, dataset, described)


def backbone_names(run: RunSpec) -> tuple[str, ...]:
    """The names of the run's keras.applications backbones, as build_model names them."""
    from ..model.build import layer_names, safe_name

    layers = [layer for node in run.model.graph for layer in node.layers] if run.model.is_graph else list(run.model.layers)
    reserved = [safe_name(f"{run.start.run}_base")] if run.start and run.start.upto else []
    return tuple(name for layer, name in zip(layers, layer_names(run.model, reserved)) if layer.kind in catalog.APPLICATIONS)


def _is_parent(run: RunSpec, ctx: Context) -> bool:
    return any(run.name in other.parents() for other in ctx.spec.runs.values())


def _variants(group: Group) -> tuple[str, str]:
    """The loop header over the group's runs and seeds, and the call that builds one run's model."""
    seeds = group.runs[0].replicate_seeds
    params = [p for keys in group.params.values() for p in keys.values()]
    if len(group.runs) == 1 and len(seeds) == 1:
        header = f"name, seed = {literal(group.runs[0].name)}, {seeds[0]}"
    elif len(group.runs) == 1:
        header = f"name = {literal(group.runs[0].name)}\nfor seed in {literal(tuple(seeds))}:"
    else:
        rows = [tuple([run.name, *[group.values[i][p] for p in params]]) for i, run in enumerate(group.runs)]
        seed = f"    for seed in {literal(tuple(seeds))}:" if len(seeds) > 1 else f"    seed = {seeds[0]}"
        header = f"for name, {', '.join(params)} in {literal(tuple(rows))}:\n{seed}"
    return header, ", ".join(f"{p}={p}" for p in params)


def _loop(group: Group, ctx: Context, function: str, dataset: DatasetSpec, described: dict[str, Any]) -> str:
    run = group.runs[0]
    t = run.training
    header, call = _variants(group)
    n_classes = len(described["classes"])
    body: list[str] = [_prepare(run, "seed"), "file = file_name(name, seed)"]
    base = _base(run, ctx)
    body += ["keras.utils.set_random_seed(seed)"]
    if t.precision != "float32":
        body.append(f"keras.mixed_precision.set_global_policy({literal(t.precision)})")
    body += base if run.start and run.start.upto else []
    backbone = any(layer.kind in catalog.APPLICATIONS for layer in run.model.layers)
    args = ", ".join([*(["base"] if run.start and run.start.upto else []), *([call] if call else []),
                      *(["saved=file if trained(file) else None"] if backbone else [])])
    body.append(f"model = {function}({args})")
    if t.precision != "float32":
        body.append("keras.mixed_precision.set_global_policy('float32')")
    if run.start and run.start.layers:
        body += base
        body += [f"for layer in {literal(tuple(run.start.layers))}:",
                 "    model.get_layer(layer).set_weights(parent.get_layer(layer).get_weights())",
                 f"    model.get_layer(layer).trainable = {run.start.trainable}"]
    body += ["model.summary()" if len(run.replicate_seeds) == 1 else f"if seed == {run.replicate_seeds[0]}:\n    model.summary()",
             _compile(run, literal(t.learning_rate)),
             f"callbacks = {_callbacks(run, 'file')}"]
    if run.kind == "reconstruct":
        body += _reconstruct(run, dataset, described)
    else:
        labels = f"one_hot(data[f'y_{{split}}'], {n_classes})" if dataset.labels == "one_hot" else "data[f'y_{split}']"
        body.append(f"y = {{split: {labels} for split in ('train', 'val', 'test') if data[f'y_{{split}}'] is not None}}")
        validation = ("(data['x_test'], y['test'])" if t.validation == "test"
                      else "(data['x_val'], y['val'])" if isinstance(t.validation, float) else "None")
        body += _fit(run, "data['x_train']", "y['train']", validation, "(data['x_test'], y['test'])")
        body.append("metrics = evaluate(model, {'train': (data['x_train'], y['train']), 'test': (data['x_test'], y['test'])})")
        body.append("predicted = model.predict(data['x_test'], batch_size=eval_batch(model), verbose=0).argmax(axis=-1)")
        body.append("PREDICTIONS[name] = (data['y_test'], predicted)")
    body += _record(run)
    return header + "\n" + _indented(body, _depth(group))


def _depth(group: Group) -> str:
    """The indentation of a group's loop body: none for one run of one seed, a level per loop."""
    return "    " * ((len(group.runs) > 1) + (len(group.runs[0].replicate_seeds) > 1))


def _indented(body: list[str], indent: str) -> str:
    return "".join(f"{indent}{line}\n" for part in body for line in part.split("\n"))


def _fit(run: RunSpec, x: str, y: str, validation: str, test: str) -> list[str]:
    t = run.training
    args = [x, y, validation, f"epochs={t.epochs}", f"batch_size={t.batch_size}", "callbacks=callbacks"]
    backbones = backbone_names(run)
    if backbones:
        args.append(f"backbones={literal(backbones)}")
    if t.fine_tune:
        f = t.fine_tune
        args += [f"fine_tune={{'layers': {literal(f.layers)}, 'epochs': {f.epochs}, 'learning_rate': {literal(f.learning_rate)}}}",
                 f"recompile=lambda rate: {_compile(run, 'rate')}", f"test={test}"]
    return [f"history = fit(model, file, {', '.join(args)})"]


def _reconstruct(run: RunSpec, dataset: DatasetSpec, described: dict[str, Any]) -> list[str]:
    t, max_value = run.training, int(described["max_value"])
    lines = ["shape = tuple(model.output.shape[1:])",
             f"clean = {{split: targets(data[f'x_{{split}}'], {max_value}, {dataset.scale}, shape) "
             "for split in ('train', 'val', 'test') if data[f'x_{split}'] is not None}"]
    if run.noise:
        lines.append(f"noisy = {{split: add_noise(data[f'x_{{split}}'], {literal(run.noise)}, {max_value}, seed, stream) "
                     "for stream, split in enumerate(('train', 'test', 'val')) if data[f'x_{split}'] is not None}")
    else:
        lines.append("noisy = {split: data[f'x_{split}'] for split in clean}")
    validation = ("(noisy['test'], clean['test'])" if t.validation == "test"
                  else "(noisy['val'], clean['val'])" if isinstance(t.validation, float) else "None")
    lines += _fit(run, "noisy['train']", "clean['train']", validation, "(noisy['test'], clean['test'])")
    lines += ["errors = {split: reconstruction_errors(model, noisy[split], clean[split]) for split in ('train', 'test')}",
              "metrics = {f'{split}_mse': float(e.mean()) for split, e in errors.items()}",
              "metrics.update({f'{split}_psnr': float(psnr(e).mean()) for split, e in errors.items()})",
              "metrics.update({f'test_{k}': v for k, v in scores(model, noisy['test'], clean['test']).items()})"]
    if run.noise:
        lines += [f"noise_errors = ((targets(noisy['test'], {max_value}, {dataset.scale}, shape) - clean['test']) ** 2)"
                  ".reshape(len(clean['test']), -1).mean(axis=1)",
                  "metrics.update(noisy_mse=float(noise_errors.mean()), noisy_psnr=float(psnr(noise_errors).mean()))"]
    lines.append("SAMPLES[name] = (data['x_test'][:32], noisy['test'][:32], model.predict(noisy['test'][:32], verbose=0))")
    return lines


def _record(run: RunSpec) -> list[str]:
    return ["record(name, seed, model, metrics, history)"]


def _estimator_loop(group: Group, ctx: Context, described: dict[str, Any]) -> str:
    from ..run.estimator import ESTIMATOR_CLASSES

    run = group.runs[0]
    spec = run.estimator
    if spec.kind not in ESTIMATOR_CLASSES:
        raise NotExportable(f"run '{run.name}': estimator {spec.kind!r:.60} is not one the notebook knows")
    import inspect

    from ..run.estimator import estimator_class

    args = [f"{keyword_name(k)}={literal(v)}" for k, v in spec.args.items()]
    if "random_state" in inspect.signature(estimator_class(spec.kind)).parameters:
        args.append("random_state=seed")
    max_value = int(described["max_value"])
    header, _ = _variants(group)
    body = [f"from {ESTIMATOR_CLASSES[spec.kind]} import {spec.kind}", _prepare(run, "seed")]
    features = run.features
    if features is None or features.run is None:
        body.append(f"features = {{split: data[f'x_{{split}}'].reshape(len(data[f'x_{{split}}']), -1).astype(np.float32) "
                    f"/ np.float32({max_value}) for split in ('train', 'test')}}  # the scaled pixels")
    else:
        parent = ctx.spec.runs[features.run]
        layer = features.layer or parent.code
        body += [f"codes = encoder(MODELS[{literal(parent.name)}], {literal(layer)})",
                 "features = {split: np.asarray(codes.predict(data[f'x_{split}'], batch_size=1024, verbose=0), "
                 "dtype=np.float32).reshape(len(data[f'x_{split}']), -1) for split in ('train', 'test')}"]
    body += [f"estimator = {spec.kind}({', '.join(args)})", "started = time.perf_counter()",
             "estimator.fit(features['train'], data['y_train'])", "seconds = time.perf_counter() - started",
             "correct = {split: int((estimator.predict(features[split]) == data[f'y_{split}']).sum()) for split in ('train', 'test')}",
             "metrics = {}",
             "for split in ('train', 'test'):",
             "    total = len(data[f'y_{split}'])",
             "    metrics.update({f'{split}_accuracy': correct[split] / total, f'{split}_correct': correct[split], f'{split}_total': total})",
             "PREDICTIONS[name] = (data['y_test'], estimator.predict(features['test']))",
             "record(name, seed, None, metrics, {'seconds': seconds})"]
    return header + "\n" + _indented(body, _depth(group))
