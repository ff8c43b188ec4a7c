"""Default captions (spec.figurekinds): every figure kind's caption names the runs it shows and says what it encodes."""

from __future__ import annotations

import pytest

from reportgen.spec import catalog
from reportgen.spec.figurekinds import FIGURE_KINDS

_OPTIONS = {
    "curves": {"runs": ["dense1", "mlp-32", "mlp-128"]},
    "weights": {"run": "dense1"},
    "filters": {"run": "cnn", "layer": "conv1"},
    "activations": {"run": "cnn", "layers": ["conv1", "pool1"]},
    "confusion": {"run": "cnn_bn"},
    "diagram": {"run": "cnn_bn"},
    "reconstructions": {"runs": ["ae", "dae"]},
    "codes": {"run": "ae"},
}


def _caption(kind: str, **extra) -> str:
    return FIGURE_KINDS[kind].caption({"kind": kind, "caption": "", **_OPTIONS[kind], **extra})


def test_every_kind_is_checked():
    assert sorted(_OPTIONS) == sorted(FIGURE_KINDS) == sorted(catalog.FIGURES)


@pytest.mark.parametrize("kind", sorted(_OPTIONS))
def test_default_caption_names_each_run_it_shows(kind):
    caption = _caption(kind)
    names = _OPTIONS[kind].get("runs") or [_OPTIONS[kind]["run"]]
    for name in names:
        assert name in caption, f"{kind} caption leaves out run {name}: {caption}"
    assert caption.endswith(".") and "\n" not in caption


def test_curves_caption_lists_runs_and_metrics_and_says_what_dashed_lines_are():
    caption = _caption("curves")
    assert caption.startswith("Loss and accuracy per epoch of dense1, mlp-32 and mlp-128 (solid: training data; dashed:")
    assert "dashed" in caption and "test set" in caption and "legend" in caption
    assert _caption("curves", metrics=["accuracy"]).startswith("Accuracy per epoch of dense1, mlp-32 and mlp-128 (")


def test_weights_caption_says_what_the_colours_mean():
    caption = _caption("weights")
    assert "red is a positive weight" in caption and "blue a negative one" in caption and "one scale for all classes" in caption
    assert "each of an image's red, green and blue channels is scaled on its own" in caption
    assert "(layer hidden)" in _caption("weights", layer="hidden")


def test_filters_caption_says_what_the_colours_mean():
    caption = _caption("filters")
    assert "layer conv1 of cnn" in caption and "red positive, blue negative" in caption and "on its own" in caption


def test_confusion_caption_says_what_the_cells_hold():
    assert "test-image counts" in _caption("confusion")
    assert "fraction of each true class" in _caption("confusion", normalize=True)
