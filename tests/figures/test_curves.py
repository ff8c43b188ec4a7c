"""make_curves: panels, lines, colours, epochs and metric errors."""

from __future__ import annotations

import pytest
from conftest import history
from matplotlib.colors import to_hex

from reportgen.errors import RenderError
from reportgen.figures import make_curves


def _lines(ax):
    return [line for line in ax.get_lines() if len(line.get_xdata())]


def test_one_panel_per_metric_with_train_and_validation_lines_per_run():
    fig = make_curves({"a": history(5), "b": history(8, seed=1), "c": history(3, seed=2)})
    assert len(fig.axes) == 2
    for ax in fig.axes:
        lines = _lines(ax)
        assert len(lines) == 6
        assert [line.get_linestyle() for line in lines] == ["-", "--"] * 3
    assert [ax.get_ylabel() for ax in fig.axes] == ["Loss", "Accuracy"]


def test_train_and_validation_share_a_colour_and_runs_differ():
    fig = make_curves({f"run{i}": history(4, seed=i) for i in range(8)})
    lines = _lines(fig.axes[0])
    colours = [to_hex(line.get_color()) for line in lines]
    assert colours[0::2] == colours[1::2]
    assert len(set(colours[0::2])) == 8


def test_more_than_ten_runs_still_get_distinct_colours():
    fig = make_curves({f"run{i}": history(3, seed=i) for i in range(14)}, metrics=["loss"])
    colours = {to_hex(line.get_color()) for line in _lines(fig.axes[0])}
    assert len(colours) == 14


def test_epochs_are_one_based_and_runs_of_different_lengths_share_axes():
    fig = make_curves({"short": history(3), "long": history(20, seed=1)})
    ax = fig.axes[0]
    xs = [list(line.get_xdata()) for line in _lines(ax)]
    assert xs[0] == [1, 2, 3] and xs[2][0] == 1 and xs[2][-1] == 20
    assert ax.get_xlim()[1] >= 20
    assert all(float(t).is_integer() for t in ax.get_xticks())


def test_accuracy_limits_stay_inside_zero_one():
    fig = make_curves({"a": history(5)})
    low, high = fig.axes[1].get_ylim()
    assert 0.0 <= low <= 0.15 and 0.6 <= high <= 1.01


def test_legend_names_every_run_and_the_line_styles():
    fig = make_curves({"dense1": history(5), "mlp": history(5, seed=1)})
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert texts == ["dense1", "mlp", "train", "validation"]


def test_without_validation_only_train_lines():
    fig = make_curves({"a": history(4, validation=False)})
    assert len(_lines(fig.axes[0])) == 1
    assert "validation" not in [t.get_text() for t in fig.legends[0].get_texts()]


def test_custom_metrics_one_panel_each():
    fig = make_curves({"a": history(4)}, metrics=["accuracy"])
    assert len(fig.axes) == 1 and fig.axes[0].get_ylabel() == "Accuracy"


def test_missing_metric_names_run_and_what_is_available():
    with pytest.raises(RenderError, match=r"run 'a' has no 'top_k_categorical_accuracy'.*available: accuracy, loss, val_accuracy, val_loss"):
        make_curves({"a": history(4)}, metrics=["loss", "top_k_categorical_accuracy"])


def test_no_runs_is_an_error():
    with pytest.raises(RenderError, match="no runs"):
        make_curves({})
