"""save_figure: PNG on disk, parent folders, deterministic bytes, errors."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import history

from reportgen.errors import RenderError
from reportgen.figures import make_confusion, make_curves, save_figure


def test_writes_a_png_creating_folders(tmp_path):
    path = save_figure(make_curves({"a": history(3)}), tmp_path / "deep" / "er" / "curves.png")
    data = path.read_bytes()
    assert path == tmp_path / "deep" / "er" / "curves.png"
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000
    assert b"matplotlib" not in data  # no Software chunk
    assert [p.name for p in path.parent.iterdir()] == ["curves.png"]  # no temporary left


def test_identical_figures_give_identical_bytes(tmp_path):
    y = np.array([0, 1, 2, 1, 0])
    first = save_figure(make_confusion(y, y[::-1], ["a", "b", "c"]), tmp_path / "a.png").read_bytes()
    second = save_figure(make_confusion(y, y[::-1], ["a", "b", "c"]), tmp_path / "b.png").read_bytes()
    assert first == second


def test_figure_is_released_after_saving(tmp_path):
    fig = make_curves({"a": history(3)})
    save_figure(fig, tmp_path / "c.png")
    assert fig.axes == []


def test_only_png(tmp_path):
    with pytest.raises(RenderError, match="expected a .png file name"):
        save_figure(make_curves({"a": history(3)}), tmp_path / "c.jpg")


def test_unwritable_place_is_a_render_error(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(RenderError, match="cannot write figure"):
        save_figure(make_curves({"a": history(3)}), tmp_path / "file" / "c.png")


def _weights(shape):
    from reportgen.figures import make_weight_images

    kernel = np.random.default_rng(0).normal(size=(int(np.prod(shape)), 4))
    return make_weight_images(kernel, shape, list("abcd"))


def _diverging_curves():
    wild = history(12, seed=1)
    wild["loss"] = [1.5, 30.0, 1e9] + [1e33] * 9
    return make_curves({"calm": history(12), "wild": wild}, validation={"calm": "test", "wild": 0.1})


@pytest.mark.parametrize("make", [lambda: _weights((8, 8)), lambda: _weights((4, 4, 3)), _diverging_curves,
                                  lambda: make_confusion(np.arange(40) % 10, np.arange(40) % 7, [f"c{i}" for i in range(10)], True)])
def test_colour_bars_keys_and_cut_axes_stay_deterministic(tmp_path, make):
    first = save_figure(make(), tmp_path / "a.png").read_bytes()
    second = save_figure(make(), tmp_path / "b.png").read_bytes()
    assert first == second
