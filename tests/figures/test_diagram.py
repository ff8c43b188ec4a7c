"""Architecture diagrams drawn by Graphviz from DOT kept in a cache entry, which may have been copied in from anywhere."""

from __future__ import annotations

import re

import pytest

from reportgen.errors import RenderError
from reportgen.figures.diagram import render_diagram

PLAIN = """digraph G {
rankdir=TB;
dpi=96;
node [shape=record];
1 [label=<<table border="0"><tr><td><b>conv</b> (Conv2D)</td></tr></table>>];
2 [label="dense (Dense)"];
1 -> 2;
}"""


def test_a_model_graph_is_drawn_as_svg_that_fits_the_page() -> None:
    svg = render_diagram(PLAIN).decode()
    assert "<svg" in svg and "conv" in svg and "dense (Dense)" in svg
    width, height = (float(v) for v in re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups())
    assert 0 < width <= 480 and 0 < height <= 600
    assert "scale(1 1)" in svg  # dpi dropped: at any other dpi Graphviz's SVG is scaled wrongly and clipped


def test_forged_dot_reaches_no_file_and_no_url(tmp_path) -> None:
    secret = tmp_path / "secret.svg"
    secret.write_text('<svg xmlns="http://www.w3.org/2000/svg"><text>SECRET</text></svg>')
    forged = PLAIN.replace('2 [label="dense (Dense)"];', f'2 [label="dense", image="{secret}", URL="http://example.com/x"];\n'
                           f'3 [label=<<table><tr><td><img src="{secret}"/></td></tr></table>>, href="file:///etc/passwd"];\n'
                           f'4 [shapefile="{secret}"];')
    svg = render_diagram(forged).decode()
    assert str(secret) not in svg and "SECRET" not in svg and "example.com" not in svg and "/etc/passwd" not in svg
    assert "<image" not in svg and "href" not in svg and "<!DOCTYPE" not in svg


def test_an_oversized_source_is_refused_before_graphviz_runs() -> None:
    with pytest.raises(RenderError, match="at most 2,000,000 are drawn"):
        render_diagram(PLAIN.replace("node [", "/*" + "x" * 2_000_000 + "*/ node ["))
