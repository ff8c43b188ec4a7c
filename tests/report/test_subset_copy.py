"""A report built on a smaller copy of a dataset (mnist-5k/ for mnist) says so at the top and in the appendix."""

from __future__ import annotations

from pathlib import Path

from test_tables import fake_results

from reportgen.report import render_html
from reportgen.report.context import build_context
from reportgen.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]


def test_a_copy_is_named_with_its_sizes_and_checksum() -> None:
    spec = load_spec(ROOT / "experiments" / "i2dl-ex8.yaml")
    results = fake_results(spec)
    for result in results.values():
        result.dataset.update(source="mnist", n_train=3600, n_val=400, n_test=1000, n_train_full=4000, n_test_full=1000,
                              copy="mnist-5k", origin="/data/mnist-5k (a subset, not MNIST's 60,000 / 10,000 images)")
    html = render_html(build_context(spec, results, "2026-01-01T00:00:00+00:00"))
    header = html[html.index("<header"):html.index("</header>")]
    assert "Built on a subset: mnist from <code>mnist-5k</code>\n  (4,000 / 1,000 training / test images)" in header
    assert ("mnist was read from <code>mnist-5k</code>, a SUBSET of the mnist\n  dataset: 4,000 / 1,000 training / test images "
            f"(SHA-256 {'f' * 64})") in html
    plain = render_html(build_context(spec, fake_results(spec), "2026-01-01T00:00:00+00:00"))
    assert "Built on a subset" not in plain and "SUBSET" not in plain
