"""The helpers every notebook carries (reportgen/notebook/kit_*.py) compute what reportgen computes, without reportgen."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from datafiles import write_cifar10_archive, write_food101, write_idx_dataset
from reportgen.data import load, stratified_subset
from reportgen.notebook import kit_data
from reportgen.run.noise import add_noise
from reportgen.run.prepared import prepare_run, validation_split
from reportgen.spec import load_spec

KIT = Path(kit_data.__file__).parent


@pytest.mark.parametrize("name", ["kit_data.py", "kit_train.py", "kit_report.py"])
def test_a_kit_imports_nothing_of_reportgen(name: str) -> None:
    tree = ast.parse((KIT / name).read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert "reportgen" not in imported and not any(isinstance(n, ast.ImportFrom) and n.level for n in ast.walk(tree))


@pytest.mark.parametrize("seed", [0, 1, 7])
@pytest.mark.parametrize("n", [0, 5, 37, 200, 1000])
def test_subsets_and_splits_are_reportgens(n: int, seed: int) -> None:
    y = np.random.default_rng(seed).integers(0, 7, size=300) ** 2 % 5  # uneven classes
    assert np.array_equal(kit_data.stratified_subset(y, n, seed), stratified_subset(y, n, seed))
    for fraction in (0.1, 0.25):
        ours, theirs = kit_data.validation_split(y, fraction, seed), validation_split(y, fraction, seed)
        assert all(np.array_equal(a, b) for a, b in zip(ours, theirs))


def test_noise_is_reportgens() -> None:
    images = np.random.default_rng(3).integers(0, 256, size=(4, 6, 6, 1), dtype=np.uint8)
    for stream in (0, 1, 2):
        assert np.array_equal(kit_data.add_noise(images, 0.4, 255, 7, stream), add_noise(images, 0.4, 255, 7, stream))


def _same(ours, dataset) -> None:
    (x_train, y_train), (x_test, y_test) = kit_data.as_dataset(ours)
    for a, b in ((x_train, dataset.x_train), (y_train, dataset.y_train), (x_test, dataset.x_test), (y_test, dataset.y_test)):
        assert a.dtype == b.dtype and np.array_equal(a, b)


def test_readers_read_what_reportgen_reads(tmp_path: Path) -> None:
    write_idx_dataset(tmp_path / "letters", n_train=30, n_test=10)
    _same(kit_data.load_idx(tmp_path / "letters"), load("idx", {"path": str(tmp_path / "letters")}))
    archive = write_cifar10_archive(tmp_path / "cifar", n_train_per_class=2, n_test_per_class=1)
    monkey = pytest.MonkeyPatch()
    monkey.setenv("REPORTGEN_DATA_PATH", str(tmp_path / "cifar"))
    monkey.setenv("REPORTGEN_DECODED", str(tmp_path / "decoded"))
    try:
        _same(kit_data.load_cifar10(archive), load("cifar10"))
        write_food101(tmp_path / "cifar", [f"dish_{i}" for i in range(3)], train_per_class=2, test_per_class=1)
        _same(kit_data.load_food101(tmp_path / "cifar" / "food-101", classes=2, size=(24, 20)),
              load("food101", {"classes": 2, "image_size": [24, 20]}))
    finally:
        monkey.undo()
    _same(kit_data.load_digits_split(), load("digits"))


def test_prepare_is_prepare_run() -> None:
    """The quick subset, the labelled budget, the test pool and the validation split, as reportgen cuts them."""
    spec = load_spec(Path(__file__).resolve().parents[2] / "experiments" / "demo.yaml").with_profile("quick")
    digits = load("digits")
    loaded = kit_data.as_dataset(kit_data.load_digits_split())
    run = spec.runs["cnn"]
    from dataclasses import replace

    for variant in (run, replace(run, labels=50), replace(run, pool=("train", "test"), task="reconstruct")):
        ours = kit_data.prepare(loaded, subset=variant.subset, labels=variant.labels, pool=variant.pool,
                                validation=variant.training.validation, seed=variant.training.seed)
        theirs = prepare_run(digits, variant)
        for split in ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test"):
            assert np.array_equal(ours[split], getattr(theirs, split)), split


def test_file_names_are_safe_and_distinct() -> None:
    names = ["mlp[units=32]", "mlp_units=32_", "../../etc/passwd", "a\nb", "ü" * 200]
    files = {kit_data.file_name(name, 1) for name in names}
    assert len(files) == len(names) and all("/" not in f and "\n" not in f and len(f) < 90 for f in files)
