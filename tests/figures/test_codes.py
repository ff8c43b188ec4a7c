"""make_codes: points per class and their colours, axis labels per method, the legend, shape errors."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import CLASSES
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg

from reportgen.errors import RenderError
from reportgen.figures._style import WIDTH
from reportgen.figures.codes import class_colours, make_codes
from reportgen.figures.save import save_figure


def _clusters(counts=(30, 5, 12, 0, 7, 20, 3, 9, 1, 14), seed=0):
    """Points in one blob per class (class k centred at angle k), labels in a shuffled order."""
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.repeat(np.arange(len(counts)), counts))
    angle = labels * 2 * np.pi / len(counts)
    points = np.stack([np.cos(angle), np.sin(angle)], axis=1) * 10 + rng.normal(size=(labels.size, 2))
    return points, labels


def _scatter(fig):
    (collection,) = fig.axes[0].collections
    return collection


def test_each_point_is_drawn_where_given_in_its_class_colour():
    points, labels = _clusters()
    collection = _scatter(make_codes(points, labels, CLASSES, "pca"))
    offsets, colours = np.asarray(collection.get_offsets()), collection.get_facecolors()
    assert offsets.shape == (labels.size, 2) and colours.shape == (labels.size, 4)
    tab10 = colormaps["tab10"]
    for k, count in enumerate((30, 5, 12, 0, 7, 20, 3, 9, 1, 14)):
        mine = np.all(np.isclose(colours[:, :3], tab10(k)[:3]), axis=1)
        assert mine.sum() == count, f"class {k}"
        # the points in class k's colour are exactly class k's points (as a set; drawing order is shuffled)
        expected = points[labels == k]
        got = offsets[mine]
        assert np.allclose(got[np.lexsort(got.T)], expected[np.lexsort(expected.T)])
    assert np.allclose(colours[:, 3], 0.7)


def test_drawing_order_mixes_the_classes():
    """Not class by class: otherwise the last class paints over every other where clusters overlap."""
    labels = np.repeat(np.arange(10), 50)
    colours = _scatter(make_codes(np.zeros((500, 2)), labels, CLASSES, "tsne")).get_facecolors()
    drawn = np.array([int(np.argmin(np.abs(class_colours(10)[:, :3] - c[:3]).sum(axis=1))) for c in colours])
    assert sorted(drawn.tolist()) == labels.tolist()
    assert set(drawn[-50:].tolist()) != {9} and len(set(drawn[:50].tolist())) > 5


@pytest.mark.parametrize(("method", "name"), [("pca", "PCA"), ("tsne", "t-SNE"), ("TSNE", "t-SNE"), ("t-sne", "t-SNE")])
def test_axis_labels_name_the_method(method, name):
    points, labels = _clusters()
    ax = make_codes(points, labels, CLASSES, method).axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == (f"{name} 1", f"{name} 2")


def test_legend_names_every_class_in_order_with_its_colour_outside_the_axes():
    points, labels = _clusters()
    fig = make_codes(points, labels, CLASSES, "pca")
    ax = fig.axes[0]
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == CLASSES
    for k, handle in enumerate(legend.legend_handles):
        assert np.allclose(handle.get_markerfacecolor()[:3], colormaps["tab10"](k)[:3])
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw_without_rendering()
    legend_box, axes_box = legend.get_window_extent(renderer), ax.get_window_extent(renderer)
    assert legend_box.x0 >= axes_box.x1, "the legend must not cover points"
    assert legend_box.x1 <= fig.bbox.x1 + 1, "the legend fits in the figure"
    assert tuple(fig.get_size_inches()) == pytest.approx((WIDTH * 0.75, WIDTH * 0.6))


def test_more_than_ten_classes_use_distinct_tab20_colours():
    labels = np.arange(15).repeat(2)
    names = [f"class {k}" for k in range(15)]
    fig = make_codes(np.random.default_rng(0).normal(size=(30, 2)), labels, names, "pca")
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == names
    assert len({tuple(c) for c in _scatter(fig).get_facecolors()}) == 15


def test_float_integer_labels_are_accepted():
    points, labels = _clusters()
    fig = make_codes(points, labels.astype(float), CLASSES, "pca")
    assert len(_scatter(fig).get_offsets()) == labels.size


def test_figure_saves_to_png(tmp_path):
    points, labels = _clusters(counts=(200,) * 10)
    path = save_figure(make_codes(points, labels, CLASSES, "tsne"), tmp_path / "codes.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000


def test_errors_are_one_line_and_say_what_was_received():
    points, labels = _clusters()
    cases = [
        (lambda: make_codes(np.zeros((5, 3)), np.zeros(5, int), CLASSES, "pca"),
         r"expected points of shape \(n, 2\), one 2-D position per code. Received shape \(5, 3\)"),
        (lambda: make_codes(np.zeros(10), np.zeros(5, int), CLASSES, "pca"), r"Received shape \(10,\)"),
        (lambda: make_codes(points, labels[:-1], CLASSES, "pca"),
         rf"expected labels of shape \({labels.size},\), one class index per point. Received shape \({labels.size - 1},\)"),
        (lambda: make_codes(points, np.eye(10)[labels], CLASSES, "pca"), r"Received shape \(101, 10\)"),
        (lambda: make_codes(points, labels, CLASSES[:9], "pca"), r"labels range over 0..9 but there are 9 class names"),
        (lambda: make_codes(points, labels - 1, CLASSES, "pca"), r"labels range over -1..8"),
        (lambda: make_codes(points, labels + 0.5, CLASSES, "pca"), r"expected integer class indices as labels"),
        (lambda: make_codes(points, labels, CLASSES, "umap"), r"expected method 'pca' or 'tsne'. Received: method='umap'"),
        (lambda: make_codes(np.full((3, 2), np.nan), np.zeros(3, int), CLASSES, "pca"), r"NaN or infinite"),
        (lambda: make_codes(np.zeros((0, 2)), np.zeros(0, int), CLASSES, "pca"), r"no points to show"),
        (lambda: make_codes(points, labels, [], "pca"), r"no class names"),
    ]
    for call, message in cases:
        with pytest.raises(RenderError, match=message) as info:
            call()
        assert str(info.value).startswith("codes figure: ") and "\n" not in str(info.value)
