"""docs/reference.md is the catalogue's own reference, current: regenerate it with `python -m reportgen.spec.reference`."""

from __future__ import annotations

from pathlib import Path

from reportgen.spec import catalog
from reportgen.spec.reference import reference_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "reference.md"


def test_the_reference_is_current() -> None:
    assert DOC.read_text() == reference_markdown(), "run: python -m reportgen.spec.reference > docs/reference.md"


def test_it_names_every_block_figure_key_layer_source_and_optimizer() -> None:
    text = reference_markdown()
    for name, keys in catalog.FIGURES.items():
        row = next(line for line in text.splitlines() if line.startswith(f"| `{name}` |"))
        assert all(f"`{key}`" in row for key in keys), name
    names = [*catalog.LAYERS, *catalog.DATA_SOURCES, *catalog.OPTIMIZERS, *catalog.OPTIMIZER_CLASSES, *catalog.CALLBACKS,
             *catalog.ESTIMATORS, "text", "markdown", "table", "best", "convolution", "conv1d", "conv2d"]
    assert [n for n in names if f"`{n}`" not in text] == []
    assert all(column in text for column in catalog.COLUMNS)


def test_the_idx_file_names_are_the_readers() -> None:
    from reportgen.data.idxfile import IDX_NAMES
    from reportgen.spec.reference import IDX_FILES

    assert IDX_FILES == IDX_NAMES
