"""What the spec accepts, the lower and upper layers implement: layer names, data sources, figures, columns."""

from __future__ import annotations

import keras
import pytest

from reportgen.data import SOURCES
from reportgen.figures import FIGURES
from reportgen.report import COLUMNS
from reportgen.spec import catalog


def test_data_sources_match() -> None:
    assert sorted(catalog.DATA_SOURCES) == SOURCES.names()


def test_figure_kinds_match() -> None:
    assert sorted(catalog.FIGURES) == FIGURES.names()


def test_columns_match() -> None:
    assert sorted(catalog.COLUMNS) == COLUMNS.names()


@pytest.mark.parametrize("kind", sorted(set(catalog.LAYERS) - set(catalog.APPLICATIONS)))
def test_every_layer_and_argument_exists_in_keras(kind: str) -> None:
    import inspect

    cls = getattr(keras.layers, kind)
    accepted = set(inspect.signature(cls.__init__).parameters)
    assert set(catalog.LAYERS[kind]) <= accepted | {"name"}, set(catalog.LAYERS[kind]) - accepted


@pytest.mark.parametrize("kind", sorted(catalog.CALLBACKS))
def test_every_callback_exists_in_keras(kind: str) -> None:
    import inspect

    accepted = set(inspect.signature(getattr(keras.callbacks, kind).__init__).parameters)
    assert set(catalog.CALLBACKS[kind]) <= accepted


def test_every_merge_layer_takes_a_list_of_inputs() -> None:
    assert set(catalog.MERGES) <= set(catalog.LAYERS)
    for kind in catalog.MERGES:
        assert issubclass(getattr(keras.layers, kind), keras.src.layers.merging.base_merge.Merge), kind


def test_every_backbone_is_a_keras_application() -> None:
    exposed = {name for name in dir(keras.applications) if name[:1].isupper()}
    assert set(catalog.APPLICATIONS) == exposed
