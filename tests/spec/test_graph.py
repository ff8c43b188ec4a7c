"""Model graphs in experiment files: named nodes of layer chains, their order, names, inputs and located errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reportgen.errors import SpecError
from reportgen.spec import load_spec

HEAD = """\
title: t
datasets:
  d: {source: digits}
runs:
"""

INCEPTION = HEAD + """\
  inception:
    model:
      nodes:
        stem:
          - Conv2D: {filters: 8, kernel_size: 3, padding: same, activation: relu}
          - Conv2D: {filters: 8, kernel_size: 1, activation: relu}
        one: {inputs: stem, layers: [{Conv2D: {filters: 4, kernel_size: 1}}]}
        three:
          inputs: stem
          layers:
            - Conv2D: {filters: 4, kernel_size: 1}
            - Conv2D: {filters: 4, kernel_size: 3, padding: same}
        pool: {inputs: stem, layers: [{MaxPooling2D: {pool_size: 3, strides: 1, padding: same}}]}
        mixed:
          inputs: [one, three, pool]
          layers: [Concatenate, GlobalAveragePooling2D, {Dense: {units: 10, activation: softmax}}]
"""

# Nodes written in an order where a node comes before its inputs; `output:` names the head.
MULTI_FEATURE = HEAD + """\
  taps:
    model:
      output: head
      nodes:
        head:
          inputs: [gap1, gap2, gap3]
          layers: [Concatenate, {Dense: {units: 10, activation: softmax}}]
        block1: {inputs: input, layers: [{Conv2D: {filters: 4, kernel_size: 3, padding: same}}]}
        block2: [MaxPooling2D, {Conv2D: {filters: 8, kernel_size: 3, padding: same}}]
        block3: [MaxPooling2D, {Conv2D: {filters: 16, kernel_size: 3, padding: same}}]
        gap1: {inputs: block1, layers: [GlobalAveragePooling2D]}
        gap2: {inputs: block2, layers: [GlobalAveragePooling2D]}
        gap3: {inputs: block3, layers: [GlobalAveragePooling2D]}
"""


def _file(tmp_path: Path, text: str) -> Path:
    file = tmp_path / "graph.yaml"
    file.write_text(text)
    return file


def _at(text: str, needle: str, after: str = "") -> str:
    """LINE:COL (1-based) of the first occurrence of needle in text that follows `after`."""
    index = text.index(needle, text.index(after) + len(after) if after else 0)
    line = text.count("\n", 0, index) + 1
    return f"{line}:{index - (text.rfind(chr(10), 0, index) + 1) + 1}"


def _problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(SpecError) as info:
        load_spec(_file(tmp_path, text))
    return info.value.problems


def test_inception_like_graph_loads_with_its_branches_concatenated(tmp_path: Path) -> None:
    model = load_spec(_file(tmp_path, INCEPTION)).runs["inception"].model
    assert model.is_graph and model.output == "mixed"
    assert [(n.name, n.inputs) for n in model.graph] == [
        ("stem", ("input",)), ("one", ("stem",)), ("three", ("stem",)), ("pool", ("stem",)), ("mixed", ("one", "three", "pool")),
    ]
    assert [layer.name for layer in model.layers] == [
        "stem_conv2d", "stem_conv2d_2", "one_conv2d", "three_conv2d", "three_conv2d_2", "pool_maxpooling2d",
        "mixed_concatenate", "mixed_globalaveragepooling2d", "mixed_dense",
    ]
    assert model.layers[-1].args == {"units": 10, "activation": "softmax", "name": "mixed_dense"}


def test_multi_feature_graph_puts_every_node_after_its_inputs(tmp_path: Path) -> None:
    model = load_spec(_file(tmp_path, MULTI_FEATURE)).runs["taps"].model
    order = [node.name for node in model.graph]
    assert sorted(order) == ["block1", "block2", "block3", "gap1", "gap2", "gap3", "head"]
    for node in model.graph:
        assert all(source == "input" or order.index(source) < order.index(node.name) for source in node.inputs), order
    assert order[-1] == "head" and model.output == "head"
    # a node without `inputs:` takes the node written before it (block2 <- block1, block3 <- block2)
    inputs = {node.name: node.inputs for node in model.graph}
    assert inputs["block2"] == ("block1",) and inputs["block3"] == ("block2",) and inputs["head"] == ("gap1", "gap2", "gap3")
    # `layers` lists every layer in the graph's order, so builders and figures can walk it
    assert [layer.name for layer in model.layers] == [name for node in model.graph for name in (la.name for la in node.layers)]
    assert model.layers[-1].name == "head_dense"


def test_first_node_takes_the_input_and_the_last_is_the_output_by_default(tmp_path: Path) -> None:
    text = HEAD + "  r:\n    model:\n      nodes:\n        a: [Flatten]\n        b: [{Dense: 10}, {Dense: {units: 10, name: top}}]\n"
    model = load_spec(_file(tmp_path, text)).runs["r"].model
    assert [(n.name, n.inputs) for n in model.graph] == [("a", ("input",)), ("b", ("a",))]
    assert model.output == "b"
    assert [layer.name for layer in model.layers] == ["a_flatten", "b_dense", "top"]  # a name written stays


def test_repeat_blocks_in_a_node_are_unrolled_and_numbered(tmp_path: Path) -> None:
    text = HEAD + ("  r:\n    model:\n      nodes:\n        body:\n"
                   "          - {repeat: 3, layers: [{Dense: 4}], each: {units: [4, 8, 16]}}\n"
                   "          - Dense: 10\n")
    model = load_spec(_file(tmp_path, text)).runs["r"].model
    assert [(layer.name, layer.args["units"]) for layer in model.layers] == [
        ("body_dense", 4), ("body_dense_2", 8), ("body_dense_3", 16), ("body_dense_4", 10)]


def test_graph_canonical_names_nodes_inputs_and_output(tmp_path: Path) -> None:
    model = load_spec(_file(tmp_path, INCEPTION)).runs["inception"].model
    canonical = model.canonical()
    assert canonical["output"] == "mixed"
    assert [(n["name"], n["inputs"]) for n in canonical["graph"]] == [(n.name, list(n.inputs)) for n in model.graph]
    assert canonical["layers"] == [layer.canonical() for layer in model.layers]


@pytest.mark.parametrize("model", [
    "\n      - Conv2D: {filters: 4, kernel_size: 3}\n      - Flatten\n      - Dense: {units: 10, activation: softmax}\n",
    "\n      layers:\n        - Conv2D: {filters: 4, kernel_size: 3}\n        - Flatten\n        - Dense: {units: 10, activation: softmax}\n",
])
def test_a_plain_layer_list_keeps_its_canonical_form_and_cache_key(tmp_path: Path, model: str) -> None:
    run = load_spec(_file(tmp_path, HEAD + "  r:\n    model:" + model)).runs["r"]
    assert not run.model.is_graph and run.model.output is None
    assert run.model.canonical() == {"layers": [
        {"kind": "Conv2D", "args": {"filters": 4, "kernel_size": 3}},
        {"kind": "Flatten", "args": {}},
        {"kind": "Dense", "args": {"units": 10, "activation": "softmax"}},
    ]}
    assert all(layer.name is None for layer in run.model.layers)  # no generated names enter the key


# One file with one broken graph per run: every problem is reported at once, each at its place.
BROKEN = HEAD + """\
  unknown:
    model:
      nodes:
        x: [{Conv2D: {filters: 4, kernel_size: 3}}]
        y: {inputs: [x, nope], layers: [Add, Flatten, {Dense: 10}]}
  cycle:
    model:
      nodes:
        a: {inputs: c, layers: [{Dense: 4}]}
        b: [{Dense: 4}]
        c: {inputs: [b, input], layers: [Add, {Dense: 4}]}
        out: {inputs: b, layers: [{Dense: 10}]}
  unused:
    model:
      nodes:
        x: [Flatten]
        spare: {inputs: x, layers: [{Dense: 3}]}
        y: {inputs: x, layers: [{Dense: 10}]}
  no_merge:
    model:
      nodes:
        x: [Flatten]
        y: {inputs: [input, x], layers: [{Dense: 10}]}
  late_merge:
    model:
      nodes:
        x: [Flatten]
        y: {inputs: [x, input], layers: [Add, {Dense: 10}, Add]}
  lone_merge:
    model:
      nodes:
        x: [Flatten]
        y: [Average, {Dense: 10}]
  plain_merge:
    model:
      - Flatten
      - Concatenate
      - Dense: 10
  bad_names:
    model:
      nodes:
        input: [Flatten]
        2x: [{Dense: 10}]
  duplicates:
    model:
      nodes:
        x: [{Dense: {units: 4, name: same}}]
        y: [{Dense: {units: 10, name: same}}]
  bad_output:
    model:
      nodes:
        x: [Flatten]
      output: nah
"""

# (the needle at LINE:COL in BROKEN, the text it follows, the YAML path, a fragment of the message)
EXPECTED = {
    "unknown": ("nope]", "", "runs.unknown.model.nodes.y.inputs", r"unknown node 'nope'; known: input, x\."),
    "cycle": ("c, layers", "", "runs.cycle.model.nodes.a", r"expected a graph without cycles\. Received: a -> b -> c -> a"),
    "unused": ("spare:", "", "runs.unused.model.nodes.spare", r"node 'spare' is never used: .* not the output \('y'\)"),
    "no_merge": ("[{Dense", "no_merge:", "runs.no_merge.model.nodes.y.layers",
                 r"expected a merge layer first \(Concatenate, Add, .*\) to join the 2 inputs input, x\. Received: Dense"),
    "late_merge": ("[Add", "late_merge:", "runs.late_merge.model.nodes.y.layers",
                   r"expected a merge layer \(Add\) only first in a node with several inputs\. Received: it after a layer"),
    "lone_merge": ("[Average", "lone_merge:", "runs.lone_merge.model.nodes.y",
                   r"expected a merge layer \(Average\) only first in a node with several inputs\. Received: it after one input"),
    "plain_merge": ("- Flatten", "plain_merge:", "runs.plain_merge.model",
                    r"expected layers that take one input\. Received: Concatenate, .* write the model as a graph"),
    "bad_name_input": ("input: [Flatten]", "", "runs.bad_names.model.nodes.input", r"expected a node name .* Received: 'input'"),
    "bad_name_digit": ("2x:", "", "runs.bad_names.model.nodes.2x", r"expected a node name of letters, digits and _ .* Received: '2x'"),
    "duplicates": ("x:", "duplicates:", "runs.duplicates.model.nodes", r"expected unique layer names\. Received: 'same' more than once"),
    "bad_output": ("nah", "", "runs.bad_output.model.output", r"unknown node 'nah'; known: x\."),
}


@pytest.fixture
def broken(tmp_path: Path) -> list[str]:
    return _problems(tmp_path, BROKEN)


def test_every_graph_error_of_a_file_is_reported_at_once(broken: list[str]) -> None:
    assert len(broken) == len(EXPECTED), "\n".join(broken)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_graph_error_is_located_with_file_line_col_and_path(case: str, broken: list[str]) -> None:
    needle, after, path, fragment = EXPECTED[case]
    where = _at(BROKEN, needle, after)
    pattern = re.compile(rf"^.*graph\.yaml:{where}: {re.escape(path)}: {fragment}")
    assert any(pattern.match(problem) for problem in broken), f"{where} {path}\n" + "\n".join(broken)


def test_unknown_node_suggests_a_close_name(tmp_path: Path) -> None:
    text = HEAD + "  r:\n    model:\n      nodes:\n        stem: [Flatten]\n        top: {inputs: stm, layers: [{Dense: 10}]}\n"
    (problem,) = _problems(tmp_path, text)
    assert problem.endswith(f":{_at(text, 'stm')}: runs.r.model.nodes.top.inputs: unknown node 'stm'; known: input, stem. Did you mean 'stem'?")


def test_a_two_node_cycle_is_reported_once_in_data_flow_order(tmp_path: Path) -> None:
    text = HEAD + ("  r:\n    model:\n      nodes:\n        a: {inputs: [input, b], layers: [Add]}\n"
                   "        b: [{Dense: 1}]\n      output: b\n")
    (problem,) = _problems(tmp_path, text)
    assert re.search(rf":{_at(text, '[input, b]')}: runs\.r\.model\.nodes\.a: expected a graph without cycles\. Received: (a -> b -> a|b -> a -> b)$",
                     problem), problem


def test_an_unknown_input_does_not_also_report_the_node_it_meant_as_never_used(tmp_path: Path) -> None:
    text = HEAD + ("  r:\n    model:\n      nodes:\n        x: [Flatten]\n        spare: {inputs: x, layers: [{Dense: 3}]}\n"
                   "        y: {inputs: spaer, layers: [{Dense: 10}]}\n")
    problems = _problems(tmp_path, text)
    assert len(problems) == 1 and "unknown node 'spaer'" in problems[0] and "Did you mean 'spare'" in problems[0], problems


def test_a_graph_of_too_many_nodes_is_refused_before_it_is_walked(tmp_path: Path) -> None:
    from reportgen.spec.graph import MAX_NODES

    # written output first, each node taking the next: walking it from the output would overflow Python's stack
    chain = "".join(f"        n{i}: {{inputs: n{i + 1}, layers: [Flatten]}}\n" for i in range(4999))
    chain += "        n4999: {inputs: input, layers: [Flatten]}\n"
    problems = _problems(tmp_path, HEAD + "  r:\n    model:\n      output: n0\n      nodes:\n" + chain)
    assert len(problems) == 1 and f"runs.r.model.nodes: expected at most {MAX_NODES} nodes. Received: 5000" in problems[0], problems
