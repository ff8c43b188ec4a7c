"""make_confusion: counts as sklearn computes them, normalisation, labels and errors."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import CLASSES
from matplotlib.backends.backend_agg import FigureCanvasAgg
from sklearn.metrics import confusion_matrix

from reportgen.errors import RenderError
from reportgen.figures import make_confusion


def _labels(seed=0, n=500, k=10):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    return y, np.where(rng.random(n) < 0.6, y, rng.integers(0, k, n))


def _cells(fig):
    ax = fig.axes[0]
    return ax.get_images()[0].get_array(), [t.get_text() for t in ax.texts]


def test_counts_equal_sklearn_and_every_cell_is_annotated():
    y, p = _labels()
    fig = make_confusion(y, p, CLASSES)
    values, texts = _cells(fig)
    expected = confusion_matrix(y, p, labels=range(10))
    assert np.array_equal(np.asarray(values), expected)
    assert texts == [str(v) for v in expected.ravel()]


def test_absent_classes_still_get_a_row_and_column():
    y, p = np.array([0, 0, 2]), np.array([0, 2, 2])
    values, _ = _cells(make_confusion(y, p, ["a", "b", "c"]))
    assert np.array_equal(np.asarray(values), confusion_matrix(y, p, labels=[0, 1, 2]))


def test_normalised_rows_sum_to_one_and_empty_rows_are_zero():
    y, p = np.array([0, 0, 0, 2, 2]), np.array([0, 1, 1, 2, 0])
    values, texts = _cells(make_confusion(y, p, ["a", "b", "c"], normalize=True))
    values = np.asarray(values)
    assert np.allclose(values, confusion_matrix(y, p, labels=[0, 1, 2], normalize="true"))
    assert values[1].tolist() == [0, 0, 0]
    assert texts[:3] == ["0.33", "0.67", "0"]


def test_annotation_contrasts_with_the_cell():
    y = np.array([0] * 50 + [1])
    fig = make_confusion(y, y, ["a", "b"])
    dark_cell, empty = fig.axes[0].texts[0], fig.axes[0].texts[1]
    assert dark_cell.get_color() == "white" and empty.get_color() != "white"


def test_axis_labels_and_rotated_class_names():
    fig = make_confusion(*_labels(), CLASSES)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Predicted class" and ax.get_ylabel() == "True class"
    assert [t.get_text() for t in ax.get_xticklabels()] == CLASSES
    assert ax.get_xticklabels()[0].get_rotation() == 45


def test_one_hot_labels_are_accepted():
    y, p = _labels(k=3)
    values, _ = _cells(make_confusion(np.eye(3)[y], p, ["a", "b", "c"]))
    assert np.array_equal(np.asarray(values), confusion_matrix(y, p))


def test_mismatched_lengths_and_out_of_range_labels():
    with pytest.raises(RenderError, match="3 true labels but 2 predictions"):
        make_confusion(np.array([0, 1, 2]), np.array([0, 1]), ["a", "b", "c"])
    with pytest.raises(RenderError, match="predicted labels range over 0..5 but there are 3 class names"):
        make_confusion(np.array([0, 1, 2]), np.array([0, 5, 1]), ["a", "b", "c"])


def _bar(fig):
    (bar,) = [ax for ax in fig.axes[0].child_axes if ax.get_gid() == "colorbar"]
    return bar


@pytest.mark.parametrize(("k", "normalize"), [(2, False), (3, False), (10, False), (10, True), (40, False)])
def test_colour_bar_is_exactly_as_tall_as_the_matrix(k, normalize):
    from reportgen.figures._style import WIDTH
    from reportgen.figures.save import DPI

    y, p = _labels(k=k, n=20 * k)
    fig = make_confusion(y, p, [f"class{i}" for i in range(k)], normalize=normalize)
    fig.set_dpi(DPI)
    FigureCanvasAgg(fig).draw()  # the matrix's box is final only once drawn (its aspect is fixed)
    matrix, bar = fig.axes[0].get_window_extent(), _bar(fig).get_window_extent()
    assert abs(bar.y0 - matrix.y0) < 1 and abs(bar.y1 - matrix.y1) < 1  # within a pixel at the saved resolution
    assert bar.x0 > matrix.x1  # beside it, not over it
    renderer = fig.canvas.get_renderer()
    assert fig.get_tightbbox(renderer).width <= fig.get_size_inches()[0] + 0.01  # ticks and label inside the figure
    assert fig.get_size_inches()[0] <= WIDTH + 1e-9  # within the 16 cm column
    assert _bar(fig).get_ylabel() == ("fraction of true class" if normalize else "test samples")
