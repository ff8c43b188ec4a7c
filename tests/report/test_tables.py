"""Results tables as a grader reads them: snapshots of the cells and of the rendered HTML."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from reportgen.report import format_percent, make_table, render_html
from reportgen.report.context import build_context
from reportgen.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class FakeResult:
    """Stands in for run.RunResult with fixed numbers, so snapshots do not depend on training."""

    name: str
    metrics: dict = field(default_factory=dict)
    params: int = 0
    epochs: int = 0
    seconds: float = 0.0
    key: str = "0" * 64
    from_cache: bool = True
    origin: str = "sealed on this machine"
    record: dict = field(default_factory=dict)
    dataset: dict = field(default_factory=dict)
    layers: list = field(default_factory=list)


def fake_results(spec) -> dict[str, FakeResult]:
    results = {}
    for i, (name, run) in enumerate(spec.runs.items()):
        results[name] = FakeResult(
            name=name,
            metrics={"train_accuracy": 0.5 + i / 50, "test_accuracy": 0.4 + i / 40, "train_loss": 1.5 - i / 10, "test_loss": 1.7 - i / 10},
            params=1000 * (i + 1) + 7,
            epochs=run.training.epochs,
            seconds=12.5 * (i + 1),
            key=f"{i:064x}",
            layers=[{"name": "dense", "kind": "Dense", "output_shape": [10], "weights": 1000 * (i + 1), "biases": 7, "params": 1000 * (i + 1) + 7}],
            record={"manifest": {"backend": "tensorflow", "keras": "3.x", "devices": ["CPU:0"]}},
            dataset={"source": "cifar10", "origin": "cifar-10-python.tar.gz", "fingerprint": "f" * 64, "n_train": 50000, "n_test": 10000,
                     "n_train_full": 50000, "n_test_full": 10000, "shape": [32, 32, 3], "classes": list("abcdefghij")},
        )
    return results


@pytest.fixture(scope="module")
def pw04():
    spec = load_spec(ROOT / "experiments" / "pw04.yaml")
    return spec, fake_results(spec)


def _tables(spec):
    return [block for section in spec.sections for block in section.blocks if block.kind == "table"]


def test_pw04_tables_snapshot(pw04, snapshot) -> None:
    spec, results = pw04
    tables = [make_table(t.options["runs"], t.options["columns"], spec.runs, results) for t in _tables(spec)]
    assert tables == snapshot


def test_pw04_tables_html_snapshot_with_exercise_1(pw04, snapshot) -> None:
    spec, results = pw04
    html = render_html(build_context(spec, results, "2026-01-01T00:00:00+00:00"))
    tables = re.findall(r'<p class="caption">.*?</table>', html, flags=re.S)
    assert len(tables) == len(_tables(spec)) + 3  # exercise 1: the 1D cases, the 2D volumes and the 2D values
    grids = re.findall(r'<div class="grids">.*?</div>', html, flags=re.S)  # every output map of exercise 1b
    assert len(grids) == 1 and grids[0].count('<table class="grid">') == 2
    assert tables + grids == snapshot


def test_the_sheets_table1_row_for_the_simple_cnn(pw04) -> None:
    spec, results = pw04
    table = make_table(["cnn1"], ["architecture"], spec.runs, results)
    assert table["rows"] == [["CONV D=32, w=h=3, S=1, P='same'; RELU; MAXPOOL; DENSE 10, softmax"]]


def test_accuracies_are_printed_as_the_sheet_does() -> None:
    assert format_percent(0.682) == "68.2%"
    assert format_percent(0.62449) == "62.4%"
    assert format_percent(None) == "n/a"


def test_unknown_column_names_the_known_ones(pw04) -> None:
    spec, results = pw04
    with pytest.raises(KeyError, match="unknown column 'acc'; known: architecture"):
        make_table(["cnn1"], ["acc"], spec.runs, results)


def test_every_figure_kind_has_its_own_default_caption() -> None:
    from reportgen.report.context import _default_caption
    from reportgen.spec import catalog

    options = {"runs": ["a"], "run": "a", "layer": "conv1", "layers": ["conv1", "relu1"], "image": 3}
    captions = {kind: _default_caption({"kind": kind, **options}) for kind in catalog.FIGURES}
    assert len(set(captions.values())) == len(catalog.FIGURES)
    assert "training image 3" in captions["activations"] and "conv1" in captions["filters"]


def test_autoencoder_estimator_and_inherited_runs_in_the_sheets_words() -> None:
    """What a grader reads of sat-pa3's and pw12's new run kinds: codes, compression, denoising, features, starts."""
    spec = load_spec(ROOT / "experiments" / "sat-pa3.yaml")
    results = fake_results(spec)
    results["m1"].record = {"code": {"layer": "code", "shape": [7, 7, 128], "size": 6272, "bytes": 25088, "input_size": 784,
                                     "input_bytes": 784}}
    results["m1"].metrics = {"test_mse": 0.01234, "test_psnr": 21.04, "noisy_psnr": 9.46}
    results["m1"].dataset = {**results["m1"].dataset, "n_train": 5000, "pool": ["train", "test"]}
    table = make_table(["m1"], ["code_size", "compression", "test_mse", "test_psnr", "noisy_psnr", "data"], spec.runs, results)
    assert table["rows"] == [["6,272 (7x7x128)", "0.12× (784 → 6,272 values; 784 B → 25,088 B, 0.031×)", "0.0123", "21.0", "9.5",
                              "images of train + test (5,000), labels unused; test metrics not held out"]]
    table = make_table(["m3", "dnn_pretrained"], ["architecture", "start", "params"], spec.runs, results)
    assert table["rows"][0][0] == "[m1 up to code]; DENSE 64, relu; DENSE 64, relu; DENSE 10, softmax"
    assert [row[1] for row in table["rows"]] == ["m1 up to code, trainable", "dense_dae's dense1, dense2, dense3, trainable"]

    pw12 = load_spec(ROOT / "experiments" / "pw12.yaml")
    results = fake_results(pw12)
    results["dense_ae"].record = {"code": {"layer": "code", "shape": [32], "size": 32, "bytes": 128, "input_size": 784, "input_bytes": 784}}
    results["svm_codes"].record = {"features": {"source": "dense_ae.code", "size": 32}}
    row = make_table(["dense_ae"], ["code_size", "compression"], pw12.runs, results)["rows"][0]
    assert row == ["32", "24.5× (784 → 32 values; 784 B → 128 B, 6.1×)"]
    row = make_table(["svm_codes"], ["architecture", "features", "params", "estimator"], pw12.runs, results)["rows"][0]
    assert row == ["SVC() on codes of dense_ae (its code layer)", "dense_ae.code (32)", "n/a", "SVC()"]


def test_settings_every_row_shares_go_to_the_caption(pw04) -> None:
    """Table 4 of pw04: one optimizer, batch and loss for all runs, epochs that differ."""
    from reportgen.report.tables import shared_caption

    spec, results = pw04
    table = make_table(["dense1", "mlp", "mlp_deep"], ["run", "architecture", "params", "hyperparameters", "test_accuracy"],
                       spec.runs, results, shared=True)
    assert table["shared"] == ["adam lr=0.001", "batch 128", "categorical_crossentropy"]
    assert [row[3] for row in table["rows"]] == ["5 epochs", "30 epochs", "40 epochs"]
    assert shared_caption("Shallow networks", table["shared"]) == \
        "Shallow networks. All runs: adam lr=0.001; batch 128; categorical_crossentropy."
    # Every setting shared: the column goes; a column alike on every row goes too; the run and the results stay.
    table = make_table(["mlp", "mlp_wide[units=256]"], ["run", "hyperparameters", "epochs", "batch_size", "params", "test_accuracy"],
                       spec.runs, results, shared=True)
    assert table["columns"] == ["run", "params", "test_accuracy"]
    assert table["shared"] == ["adam lr=0.001", "batch 128", "30 epochs", "categorical_crossentropy"]
    from dataclasses import replace

    results = {**results, "mlp_wide[units=256]": replace(results["mlp_wide[units=256]"], params=results["mlp"].params)}
    same = make_table(["mlp", "mlp_wide[units=256]"], ["run", "params"], spec.runs, results, shared=True)
    assert same["columns"] == ["run", "params"] and same["shared"] == []
    # One row, or not asked: nothing moves.
    assert make_table(["mlp"], ["run", "hyperparameters"], spec.runs, results, shared=True)["columns"] == ["run", "hyperparameters"]
    assert "shared" not in make_table(["mlp", "cnn1"], ["run", "hyperparameters"], spec.runs, results)


def test_batch_normalisation_splits_trainable_and_non_trainable() -> None:
    from reportgen.report.runs import layer_split, params_text

    bn = {"name": "bn", "kind": "BatchNormalization", "output_shape": [8, 8, 16], "weights": 0, "biases": 64, "params": 64}
    assert layer_split(bn) == (32, 32)  # gamma, beta | moving mean, moving variance: 16 channels each
    assert layer_split({**bn, "output_shape": None}) == (32, 32)  # no shape: half and half (center and scale on)
    assert layer_split({**bn, "params": 48}) == (16, 32)  # scale=False: beta only is trained
    assert layer_split({"name": "d", "kind": "Dense", "weights": 640, "biases": 10, "params": 650}) == (650, 0)
    assert layer_split({"name": "x", "kind": "Dense", "params": 650, "trainable": 0, "non_trainable": 650}) == (0, 650)
    assert params_text(10122, [bn, {**bn, "output_shape": [8, 8, 32], "biases": 128, "params": 128}]) == "10,122 (96 non-trainable)"
    assert params_text(2410, [{"kind": "Dense", "params": 2410}]) == "2,410"


def test_cells_wrap_only_at_their_separators() -> None:
    from reportgen.report.context import _cell_html, _header_html, _run_html
    from reportgen.report.layout import table_layout

    assert _run_html("mlp[units=32]", "mlp[units=32]: Two-layer MLP") == '<span class="run-name">mlp[units=32]</span>: Two-layer MLP'
    assert _run_html("<b>", "<b>: t") == '<span class="run-name">&lt;b&gt;</span>: t'
    # An architecture: layers kept whole, every separator a text node of its own between two elements.
    assert _cell_html("CONV D=16, w=h=3, S=1, P='same'; DENSE 10, softmax", nowrap_chars=24) == (
        '<span class="nb">CONV D=16,</span> <span>w=h=3,</span> <span>S=1,</span> <span>P=&#39;same&#39;;</span> '
        '<span class="nb">DENSE 10,</span> <span>softmax</span>')
    # Other text stays text (what a reader or a test searches in the HTML), long words may break after 'Name(' or 'key='.
    assert _cell_html("best val_accuracy, epoch 3 of 6") == "best val_accuracy, epoch 3 of 6"
    assert _cell_html("EarlyStopping(monitor=val_loss, restore_best_weights=True)") == \
        "EarlyStopping(<wbr>monitor=<wbr>val_loss, restore_best_weights=<wbr>True)"
    assert _cell_html("10,122 (96 non-trainable)", numeric=True) == '<span>10,122</span> <span class="nb">(96 non-trainable)</span>'
    assert _cell_html("97.5%", numeric=True) == "97.5%"
    assert _header_html("Acc. train %") == '<span>Acc.</span> <span class="nb">train %</span>'
    assert _header_html("Time (s)") == '<span class="nb">Time (s)</span>' and _header_html("Params") == "Params"
    ten = ["Run", "Architecture", "Params", "Hyper-parameters", "Acc. train %", "Acc. test %", "Loss train", "Loss test", "Epochs",
           "Time (s)"]
    row = ["mlp[units=32]: Two-layer MLP", "DENSE 32, relu; DENSE 10, softmax", "2,410", "adam lr=0.001; batch 32", "96.4%", "97.6%",
           "0.1901", "0.1829", "20", "7.6"]
    numeric = [False, False, True, False, True, True, True, True, True, True]
    assert table_layout(ten[:6], [row[:6]], numeric[:6]) == "normal"
    assert table_layout(ten, [row], numeric) == "wide"
