"""make_curves: panels, lines, colours, epochs and metric errors."""

from __future__ import annotations

import math

import pytest
from conftest import history
from matplotlib.colors import rgb_to_hsv, to_hex, to_rgb

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


@pytest.mark.parametrize("runs", [8, 20])
def test_no_run_is_drawn_in_a_grey_like_the_line_style_key(runs):
    fig = make_curves({f"run{i}": history(3, seed=i) for i in range(runs)}, metrics=["loss"])
    colours = [to_rgb(line.get_color()) for line in _lines(fig.axes[0])[0::2]]
    handles = dict(zip([t.get_text() for t in fig.legends[0].get_texts()], fig.legends[0].legend_handles))
    key = to_rgb(handles["train"].get_color())
    assert len({to_hex(c) for c in colours}) == runs
    assert min(rgb_to_hsv(c)[1] for c in colours) > 0.25  # saturated: no grey (tab10's eighth, tab20's two)
    assert min(math.dist(c, key) for c in colours) > 0.15 and rgb_to_hsv(key)[1] == 0


def test_epochs_are_one_based_and_runs_of_different_lengths_share_axes():
    fig = make_curves({"short": history(3), "long": history(20, seed=1)})
    ax = fig.axes[0]
    xs = [list(line.get_xdata()) for line in _lines(ax)]
    assert xs[0] == [1, 2, 3] and xs[2][0] == 1 and xs[2][-1] == 20
    assert ax.get_xlim()[1] >= 20
    assert all(float(t).is_integer() for t in ax.get_xticks())


def test_accuracy_axis_is_never_cut():
    fig = make_curves({"a": history(5)})  # accuracies of 0.15..0.6
    assert fig.axes[1].get_ylim() == (0.0, 1.0)
    fig = make_curves({"a": {"loss": [1.0, 0.5], "accuracy": [91.0, 97.5]}})  # percentages
    assert fig.axes[1].get_ylim() == (0.0, 100.0)


@pytest.mark.parametrize(("epochs", "ticks"), [(1, [1]), (2, [1, 2]), (10, list(range(1, 11))), (12, [1, 2, 4, 6, 8, 10, 12]),
                                               (20, [1, 5, 10, 15, 20]), (50, [1, 10, 20, 30, 40, 50]),
                                               (100, [1, 20, 40, 60, 80, 100])])
def test_epoch_ticks_are_integers_from_one(epochs, ticks):
    fig = make_curves({"a": history(epochs)})
    for ax in fig.axes:
        assert list(ax.get_xticks()) == ticks
        assert ax.get_xlim()[0] >= 0.5 and ax.get_xlim()[1] >= epochs  # no epoch 0, nothing cut at the end
    fig.canvas.draw()
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == [str(t) for t in ticks]


def test_long_runs_start_the_axis_at_epoch_one():
    ax = make_curves({"a": history(30)}).axes[0]
    assert ax.get_xlim() == (1.0, 30.0) and ax.get_xticks()[0] == 1


def test_legend_names_every_run_and_the_line_styles():
    fig = make_curves({"dense1": history(5), "mlp": history(5, seed=1)})
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert texts == ["dense1", "mlp", "train", "validation"]


def test_val_series_are_named_by_what_the_run_validated_on():
    runs = {"dense1": history(5), "mlp": history(5, seed=1)}
    fig = make_curves(runs, validation={"dense1": "test", "mlp": "test"})
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["dense1", "mlp", "train", "test (used for validation)"]
    assert {line.get_linestyle() for line in _lines(fig.axes[0])} == {"-", "--"}
    fig = make_curves(runs, validation={"dense1": 0.1, "mlp": 0.2})
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["dense1", "mlp", "train", "validation"]


def test_runs_validated_on_test_and_on_a_split_get_two_line_styles():
    fig = make_curves({"dense1": history(5), "mlp": history(5, seed=1)}, validation={"dense1": 0.1, "mlp": "test"})
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert texts == ["dense1", "mlp", "train", "validation", "test (used for validation)"]
    handles = dict(zip(texts, fig.legends[0].legend_handles))
    assert handles["validation"].get_linestyle() == "--" and handles["test (used for validation)"].get_linestyle() == "-."
    assert [line.get_linestyle() for line in _lines(fig.axes[0])] == ["-", "--", "-", "-."]


def test_validation_label_follows_the_run_spec():
    from reportgen.figures.curves import validation_label

    assert validation_label("test") == "test (used for validation)"
    assert validation_label(0.1) == validation_label(None) == "validation"


def test_a_diverging_runs_loss_is_cut_off_and_said_so():
    calm = history(20, seed=1)  # losses 1..2.1
    wild = history(20, seed=2)
    wild["loss"] = [1.5, 3.0, 40.0, 1e5, 1e12] + [1e33] * 15
    wild["val_loss"] = [v * 1.1 for v in wild["loss"]]
    fig = make_curves({"calm": calm, "lr-10": wild})
    low, high = fig.axes[0].get_ylim()
    assert high < 3 and low < 1.0  # the calm run's curves fill the panel
    notes = [t.get_text() for t in fig.axes[0].texts]
    assert notes == ["axis cut; off the top: lr-10 (up to 1.1e+33)"]
    assert len(fig.axes[1].texts) == 0 and fig.axes[1].get_ylim() == (0.0, 1.0)


def test_ordinary_losses_are_not_cut():
    fig = make_curves({"scratch": history(5), "pretrained": {k: [v / 4 for v in vals] for k, vals in history(5, seed=1).items()}},
                      metrics=["loss"])
    assert len(fig.axes[0].texts) == 0
    assert fig.axes[0].get_ylim()[1] >= 2.1


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
