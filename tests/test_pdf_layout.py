"""The PDF as printed on A4: every table keeps every column, and no word lies outside the printable area.

Read back with poppler's pdftotext: `-raw` for the text (content-stream order, so a header wrapped over lines in its cell
stays together) and `-bbox-layout` for every word's box, compared with the page less report.css's @page margins."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CSS = ROOT / "templates" / "report.css"
MM = 72 / 25.4
TOLERANCE_PT = 1.5  # a glyph's box may stick out of its line box by a little
MARGIN_BOXES = re.compile(r"^\d+ / \d+$|^QUICK PROFILE")  # the page counter and the quick banner live in the margins

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (pdftotext)")


# ---------------------------------------------------------------------------------------------------------- reading


def _blocks(css: str) -> list[tuple[str, str]]:
    """Top-level '@page[ name]' rules as (name, declarations without nested margin-box rules)."""
    rules = []
    for match in re.finditer(r"@page\s*([\w-]*)\s*\{", css):
        depth, i, body = 1, match.end(), []
        while depth and i < len(css):
            ch = css[i]
            depth += ch == "{"
            depth -= ch == "}"
            if depth == 1 and ch != "}":
                body.append(ch)
            i += 1
        rules.append((match.group(1), "".join(body)))
    return rules


def _length(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(mm|cm|pt|in|px)?", value.strip()).groups()
    return float(number) * {"mm": MM, "cm": 10 * MM, "pt": 1, "in": 72, "px": 0.75, None: 0.75}[unit]


def page_margins(css_text: str | None = None) -> dict[str, tuple[float, float, float, float]]:
    """@page margins in pt as (top, right, bottom, left), by page name ('' the default; a named page inherits it)."""
    css = re.sub(r"/\*.*?\*/", "", css_text if css_text is not None else CSS.read_text(), flags=re.S)
    margins: dict[str, tuple[float, float, float, float]] = {}
    for name, body in _blocks(css):
        found = re.search(r"(?:^|;|\s)margin\s*:\s*([^;}]+)", body)
        if found:
            values = [_length(v) for v in found.group(1).split()]
            top, right, bottom, left = (values * 4)[:1] * 4 if len(values) == 1 else (
                [values[0], values[1], values[0], values[1]] if len(values) == 2 else
                [values[0], values[1], values[2], values[1]] if len(values) == 3 else values)
            margins[name] = (top, right, bottom, left)
    margins.setdefault("", (0.0, 0.0, 0.0, 0.0))
    return margins


@dataclass
class Word:
    page: int
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    line: str


def pdf_words(pdf: Path) -> tuple[list[tuple[float, float]], list[Word]]:
    """Every page's (width, height) and every word with its box (pt, from the page's top left) and its line's text."""
    done = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, check=True)
    root = ET.fromstring(done.stdout)
    pages, words = [], []
    for number, page in enumerate(root.iter("{http://www.w3.org/1999/xhtml}page"), 1):
        pages.append((float(page.get("width")), float(page.get("height"))))
        for line in page.iter("{http://www.w3.org/1999/xhtml}line"):
            boxes = list(line.iter("{http://www.w3.org/1999/xhtml}word"))
            text = " ".join(w.text or "" for w in boxes)
            words += [Word(number, w.text or "", float(w.get("xMin")), float(w.get("yMin")), float(w.get("xMax")),
                           float(w.get("yMax")), text) for w in boxes]
    return pages, words


def outside_printable_area(pdf: Path, css_text: str | None = None) -> list[str]:
    """Each word whose box is not inside its page less the margins (a landscape page: @page wide's, if it has its
    own), said as 'page 4: "(s)" ends 21.3 pt right of the margin'; the margin boxes' own text is not counted."""
    margins = page_margins(css_text)
    pages, words = pdf_words(pdf)
    problems = []
    for word in words:
        if MARGIN_BOXES.search(word.line.strip()):
            continue
        width, height = pages[word.page - 1]
        top, right, bottom, left = margins.get("wide", margins[""]) if width > height else margins[""]
        for what, over in (("starts left of", left - word.x0), ("ends right of", word.x1 - (width - right)),
                           ("starts above", top - word.y0), ("ends below", word.y1 - (height - bottom))):
            if over > TOLERANCE_PT:
                problems.append(f"page {word.page}: {word.text!r} {what} the margin by {over:.1f} pt (line {word.line!r})")
    return problems


class _Headers(HTMLParser):
    """The text of every <th> of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.headers: list[str] = []
        self._open: list[str] | None = None

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "th":
            self._open = []

    def handle_endtag(self, tag) -> None:
        if tag == "th" and self._open is not None:
            self.headers.append("".join(self._open))
            self._open = None

    def handle_data(self, data) -> None:
        if self._open is not None:
            self._open.append(data)


def table_headers(html: str) -> list[str]:
    parser = _Headers()
    parser.feed(html)
    return parser.headers


def _squash(text: str) -> str:
    """No whitespace (line breaks, no-break and zero-width spaces) and no hyphens or soft hyphens: a header wrapped or
    hyphenated anywhere reads the same."""
    return re.sub(r"[\s\u00a0\u200b\u00ad\-\u2010]", "", text)


def missing_headers(html: str, pdf: Path) -> list[str]:
    """The table headers of the HTML that the PDF prints fewer times than the HTML has them."""
    text = _squash(subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, check=True, text=True).stdout)
    wanted: dict[str, int] = {}
    for header in table_headers(html):
        if _squash(header):
            wanted[_squash(header)] = wanted.get(_squash(header), 0) + 1
    return [f"{header!r} (x{count}, printed {text.count(header)})" for header, count in wanted.items() if text.count(header) < count]


def assert_fits_the_page(out: Path) -> None:
    """A built report (out/report.html, out/report.pdf): every header printed, every word inside the margins."""
    html = (out / "report.html").read_text()
    assert table_headers(html), "no table in the report"
    missing = missing_headers(html, out / "report.pdf")
    assert not missing, f"table headers missing from the PDF: {missing}"
    outside = outside_printable_area(out / "report.pdf")
    assert not outside, f"{len(outside)} word(s) outside the printable area:\n" + "\n".join(outside[:20])


# ---------------------------------------------------------------------------------------------------------- checks


def test_the_css_margins_are_read() -> None:
    margins = page_margins()
    assert margins[""] == pytest.approx((20 * MM, 18 * MM, 22 * MM, 18 * MM))
    assert page_margins("@page { margin: 1in; @top-center { margin: 0 } } @page wide { margin: 10mm 5mm }")["wide"] == \
        pytest.approx((10 * MM, 5 * MM, 10 * MM, 5 * MM))


@pytest.fixture(scope="module")
def demo(demo_quick_build: Path) -> Path:
    """`reportgen report demo --quick`: scikit-learn's bundled digits, no download; the same tables as the full build.
    Built in the background from the start of the session (tests/conftest.py, tests/background_builds.py)."""
    return demo_quick_build / "out"


def test_demo_pdf_prints_every_column_inside_the_margins(demo: Path) -> None:
    assert_fits_the_page(demo)


def test_demo_tables_share_their_common_settings_and_split_parameters(demo: Path) -> None:
    html = (demo / "report.html").read_text()
    text = " ".join(subprocess.run(["pdftotext", "-raw", str(demo / "report.pdf"), "-"], capture_output=True, check=True,
                                   text=True).stdout.split())
    # Table 1's runs share every hyper-parameter: the caption says them once, the column is gone.
    assert "Dense networks on 8x8 digits. All runs: adam lr=0.001; batch 32; 2 epochs; categorical_crossentropy." in text
    assert "col-hyperparameters" not in html.split("Table 2")[0].split("Table 1")[1]
    # A run's name is one piece, on one line.
    assert '<span class="run-name">mlp[units=32]</span>' in html and "mlp[units=32]" in text
    # Batch normalisation: gamma and beta trained, moving mean and variance not (16 and 32 channels).
    # Unnamed layers numbered within their model: cnn_bn's two batch normalisations are _1 and _2, whatever trained before.
    assert "batch_normalization_1 32 + 32 non-trainable = 64" in text
    assert "batch_normalization_2 64 + 64 non-trainable = 128" in text
    assert re.search(r"10,122 \(96 non-trainable\)", text)


@pytest.fixture(scope="module")
def fake_builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every experiment's report, and a ten-column table, laid out from fixed stand-in results (no training, no figures)."""
    from report.test_tables import fake_results

    from reportgen.report import build_context, render_html, render_pdf
    from reportgen.spec import load_spec

    tmp = tmp_path_factory.mktemp("layouts")
    wide = tmp / "spec"
    wide.mkdir()
    (wide / "answers").mkdir()
    (wide / "answers" / "demo.md").write_text((ROOT / "experiments" / "answers" / "demo.md").read_text())
    (wide / "wide.yaml").write_text((ROOT / "experiments" / "demo.yaml").read_text().replace(
        '            caption: "Dense networks on 8x8 digits."\n',
        '            caption: "Dense networks on 8x8 digits."\n'
        "        - table:\n"
        "            runs: [dense1, mlp, cnn, cnn_bn]\n"
        "            columns: [run, architecture, params, hyperparameters, train_accuracy, test_accuracy, train_loss, test_loss,"
        " epochs, seconds]\n"
        '            caption: "Ten columns."\n'))
    builds = {}
    for file in [wide / "wide.yaml", *(ROOT / "experiments" / f"{name}.yaml" for name in ("pw04", "pw09", "pw12", "sat-pa3", "i2dl-ex8"))]:
        spec = load_spec(file)
        results = fake_results(spec)
        results["cnn_bn" if "cnn_bn" in results else next(iter(results))].layers.append(
            {"name": "batch_normalization", "kind": "BatchNormalization", "output_shape": [8, 8, 16], "weights": 0, "biases": 64,
             "params": 64})
        out = tmp / "out" / spec.name
        out.mkdir(parents=True)
        html = render_html(build_context(spec, results, "2026-01-01T00:00:00+00:00"))
        (out / "report.html").write_text(html)
        render_pdf(html, out, out / "report.pdf")
        builds[spec.name] = out
    return builds


@pytest.mark.parametrize("name", ["wide", "pw04", "pw09", "pw12", "sat-pa3", "i2dl-ex8"])
def test_every_experiments_tables_fit_the_page(fake_builds: dict[str, Path], name: str) -> None:
    assert_fits_the_page(fake_builds[name])


def test_a_ten_column_table_gets_a_landscape_page(fake_builds: dict[str, Path]) -> None:
    out = fake_builds["wide"]
    assert '<div class="table-block wide">\n  <p class="caption">Table 2: Ten columns.' in (out / "report.html").read_text()
    pages, words = pdf_words(out / "report.pdf")
    landscape = {word.page for word in words if word.text in ("Loss", "Time") and pages[word.page - 1][0] > pages[word.page - 1][1]}
    assert landscape, "the ten-column table is not on a landscape page"


def test_wrapped_cells_read_back_as_written(fake_builds: dict[str, Path]) -> None:
    """A cell wrapped between its pieces reads back with one space there (no space left at the end of a line)."""
    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in PdfReader(fake_builds["pw04"] / "report.pdf").pages).replace("\n", " ")
    assert "CONV D=32, w=h=3, S=1, P='same'; RELU; MAXPOOL; DENSE 10, softmax" in text
    assert "CONV D=128, w=h=3, S=1, P='same'; BN; RELU; MAXPOOL; DENSE 10, softmax" in text  # cnn3, over several lines
    assert "Acc. train %" in text and "Acc. test %" in text
