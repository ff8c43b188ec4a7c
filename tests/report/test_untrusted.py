"""A student's experiment file and Markdown, rebuilt on a grader's machine: no local file read, nothing fetched, nothing hidden.

No training: specs are loaded from files written here, results are stand-ins, and the HTML and PDF are rendered from them.
"""

from __future__ import annotations

import http.server
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from reportgen.errors import SpecError
from reportgen.report import build_context, render_html, render_pdf
from reportgen.report.markdown import markdown_to_html
from reportgen.run.result import RunResult
from reportgen.spec import load_spec

SECRET = "TOPSECRET-9f2c"

VALID = """\
title: t
datasets:
  d: {source: digits, flatten: true}
runs:
  a:
    title: "Run A"
    model:
      - Dense: {units: 10, activation: softmax}
"""


def _report(*blocks: str) -> str:
    return "report:\n  sections:\n    - title: s\n      content:\n" + "".join(f"        - {block}\n" for block in blocks)


def _load(folder: Path, text: str):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "x.yaml").write_text(text)
    return load_spec(folder / "x.yaml")


def _refused(folder: Path, text: str, *fragments: str) -> str:
    with pytest.raises(SpecError) as info:
        _load(folder, text)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file outside the experiment's folder that must never reach a report."""
    (tmp_path / "private").mkdir()
    file = tmp_path / "private" / "secret.md"
    file.write_text(f"{SECRET}\n")
    return file


# -- files named by the experiment file ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["ABSOLUTE", "../private/secret.md", "../../../../../../../../etc/passwd", "/etc/passwd",
                                  "/proc/self/environ", "answers/../../private/secret.md"])
def test_a_text_block_outside_the_experiments_folder_is_a_located_spec_error(tmp_path: Path, secret: Path, name: str) -> None:
    name = str(secret) if name == "ABSOLUTE" else name
    message = _refused(tmp_path / "exp", VALID + _report(f"text: '{name}'"), "x.yaml:13:", "report.sections[0].content[0].text",
                       "expected a Markdown file inside the experiment's folder", "outside")
    assert SECRET not in message


def test_a_text_block_through_a_symbolic_link_out_is_refused(tmp_path: Path, secret: Path) -> None:
    exp = tmp_path / "exp"
    (exp / "answers").mkdir(parents=True)
    (exp / "answers" / "a.md").symlink_to(secret)  # the file is a link out
    (exp / "shared").symlink_to(secret.parent)  # a folder on the way is a link out
    for name in ("answers/a.md", "shared/secret.md"):
        _refused(exp, VALID + _report(f"text: {name}"), "outside")


def test_a_text_block_inside_is_read_and_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exp = tmp_path / "exp"
    (exp / "answers").mkdir(parents=True)
    (exp / "answers" / "a.md").write_text("**answer** é")
    (exp / "alias.md").symlink_to(exp / "answers" / "a.md")  # a link that stays inside is fine
    spec = _load(exp, VALID + _report("text: answers/a.md", "text: alias.md"))
    assert [b.options["markdown"] for b in spec.sections[0].blocks] == ["**answer** é"] * 2
    monkeypatch.setenv("REPORTGEN_LIMITS", "text_bytes=5")
    _refused(exp, VALID + _report("text: answers/a.md"), "expected at most 5 bytes of Markdown in one report", "--limit text_bytes=N")
    monkeypatch.delenv("REPORTGEN_LIMITS")
    (exp / "latin1.md").write_bytes("caf\xe9".encode("latin-1"))
    _refused(exp, VALID + _report("text: latin1.md"), "x.yaml:13:", "expected a Markdown file in UTF-8", "0xe9")


def test_a_dataset_path_outside_the_folder_and_the_data_path_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "elsewhere" / "letters").mkdir(parents=True)
    (tmp_path / "exp").mkdir()
    (tmp_path / "exp" / "link").symlink_to(tmp_path / "elsewhere")
    monkeypatch.setenv("REPORTGEN_DATA_PATH", str(tmp_path / "data"))
    for path in ("../elsewhere/letters", str(tmp_path / "elsewhere" / "letters"), "link/letters", "/etc"):
        text = VALID.replace("source: digits, flatten: true", f"source: idx, path: '{path}'")
        _refused(tmp_path / "exp", text, "x.yaml:3:", "datasets.d.path: expected a folder inside the experiment's folder or in a "
                                                       "folder on REPORTGEN_DATA_PATH", "outside")


def test_a_dataset_path_on_the_data_path_is_accepted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "data" / "letters").mkdir(parents=True)
    monkeypatch.setenv("REPORTGEN_DATA_PATH", f"{tmp_path / 'empty'}:{tmp_path / 'data'}")
    for path in ("letters", str(tmp_path / "data" / "letters")):
        spec = _load(tmp_path / "exp", VALID.replace("source: digits, flatten: true", f"source: idx, path: '{path}'"))
        assert spec.datasets["d"].options["path"] == str((tmp_path / "data" / "letters").resolve())


# -- the best block's sentence ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["{run:>300000000}", "{value:d}", "{run!r}", "{title.__class__}", "{0}", "{}", "{metric[0]}",
                                  "{run", "run}", "{runs}"])
def test_a_best_sentence_with_anything_but_plain_placeholders_is_refused_at_load(tmp_path: Path, text: str) -> None:
    block = "best: {runs: [a], text: " + repr(f"Best: {text}.") + "}"
    _refused(tmp_path, VALID + _report(block), "x.yaml:13:", "report.sections[0].content[0].best.text: expected placeholders among "
                                                             "{run}, {title}, {value}, {metric}, {choice} without a format")


# -- what the report shows: HTML and PDF -----------------------------------------------------------------------------------


def _result(name: str) -> RunResult:
    """A run's result as the cache would give it, with fixed numbers (no training, no cache behind it)."""
    record = {"metrics": {"train_accuracy": 0.9, "test_accuracy": 0.8, "train_loss": 0.3, "test_loss": 0.5}, "history": {},
              "epochs": 1, "params": 110, "seconds": 1.0, "layers": [],
              "manifest": {"backend": "tensorflow", "keras": "3.x", "devices": ["CPU:0"]},
              "dataset": {"source": "digits", "origin": "digits.csv.gz", "fingerprint": "f" * 64, "n_train": 1348, "n_test": 449,
                          "n_train_full": 1348, "n_test_full": 449, "shape": [64], "classes": list("0123456789")}}
    return RunResult(name=name, key="0" * 64, record=record, from_cache=False, cache=None)


def _html(tmp_path: Path, text: str, quick: bool = False) -> str:
    spec = _load(tmp_path / "exp", text)
    if quick:
        spec = spec.with_profile("quick")
    return render_html(build_context(spec, {name: _result(name) for name in spec.runs}, "2026-01-01T00:00:00+00:00"))


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css" if self.path.endswith(".css") else "image/svg+xml")
        self.end_headers()
        self.wfile.write(b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>' if not self.path.endswith(".css") else b"")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def weasyprint():
    """WeasyPrint imported once for the module's two PDFs (about a second the first time)."""
    return pytest.importorskip("weasyprint")


@pytest.fixture
def server(weasyprint):
    """A loopback HTTP server that records every request: a report must send none."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    _Recorder.requests = []
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", _Recorder.requests
    httpd.shutdown()
    httpd.server_close()


def _attacks(url: str, secret: Path) -> str:
    """Markdown trying every way to fetch from the network or embed a local file."""
    svg = secret.with_suffix(".svg")
    svg.write_text(f'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="20"><text y="15">{SECRET}</text></svg>')
    return (f'Answer. <a rel="attachment" href="file://{secret}">notes</a> <img src="file://{svg}"> <img src="{url}/img.svg">\n'
            f'<link rel="stylesheet" href="{url}/link.css"><style>@import "{url}/import.css"; '
            f'p {{ background: url({url}/background.svg) }}</style>\n'
            f'<embed src="{url}/embed.svg"><object data="{url}/object.svg"></object> '
            f'<iframe src="{url}/frame.html"></iframe> <p style="background: url({url}/inline.svg)">styled</p>\n\n'
            f'![diagram]({url}/markdown.svg) [attached](file://{secret}) <base href="{url}/">\n')


def _pdf_checks(pdf: Path) -> str:
    reader = PdfReader(pdf)
    assert not list(reader.attachments), list(reader.attachments)
    assert "/EmbeddedFiles" not in str(reader.trailer["/Root"].get("/Names", {}))
    assert all(not page.get("/Annots") or "/FileAttachment" not in str([a.get_object() for a in page["/Annots"]])
               for page in reader.pages)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert SECRET not in text and SECRET.encode() not in pdf.read_bytes()
    return text


def test_markdown_that_fetches_or_attaches_leaves_the_pdf_without_them(tmp_path: Path, secret: Path, server) -> None:
    url, requests = server
    exp = tmp_path / "exp"
    exp.mkdir()
    (exp / "answer.md").write_text(_attacks(url, secret))
    html = _html(tmp_path, VALID.replace('"Run A"', f'"<img src={url}/title.svg>"') + _report(
        "text: answer.md", "best: {runs: [a], text: 'Best: {title}.'}"))
    for tag in ("<img", "<link", "<style>\n@import", "<embed", "<object", "<iframe", "<base", "rel=", '="file:', f'"{url}'):
        assert tag not in html.split("</style>", 1)[1], tag
    assert f"&lt;img src={url}/title.svg&gt;" in html  # the run's title in the best sentence, shown as text
    out = tmp_path / "out"
    out.mkdir()
    render_pdf(html, out, out / "report.pdf")
    assert requests == []
    text = _pdf_checks(out / "report.pdf")
    assert "Answer." in text and "notes" in text


def test_the_pdf_fetcher_alone_refuses_the_network_and_files_outside_the_build(tmp_path: Path, secret: Path, server) -> None:
    """Were markup to slip past the sanitiser (or come from a template), WeasyPrint still fetches only the build's figures."""
    url, requests = server
    out = tmp_path / "out"
    (out / "figures").mkdir(parents=True)
    (out / "figures" / "fig01.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="90" height="20">'
                                                '<text y="15">FIGURE-OK</text></svg>')
    (out / "figures" / "link.svg").symlink_to(secret.with_suffix(".svg"))  # a link out of the build is not followed
    html = (f'<html><head><link rel="attachment" href="file://{secret}"><link rel="stylesheet" href="{url}/head.css">'
            f'<style>@import url({url}/import.css); body {{ background: url({url}/body.svg) }}</style></head><body>'
            f'{_attacks(url, secret).replace("<base", "<br")}<img src="figures/fig01.svg"><img src="figures/link.svg"><img src="../private/secret.svg">'
            f'<a rel="attachment" href="figures/fig01.svg">own file</a></body></html>')
    render_pdf(html, out, out / "report.pdf")
    assert requests == []
    text = _pdf_checks(out / "report.pdf")
    assert "FIGURE-OK" in text  # the build's own figure is drawn


def test_a_style_in_markdown_cannot_hide_the_quick_marks_or_the_appendix(tmp_path: Path) -> None:
    hide = ("<style>.quick-banner, .appendix, @page { display: none !important }</style>"
            '<div style="display:none">x</div><p class="appendix" id="x">classed</p>')
    html = _html(tmp_path, VALID + "quick: {train: 100, test: 50, epochs: 1}\n" + _report(f"markdown: '{hide}'"), quick=True)
    body = html.split("</head>", 1)[1]
    assert "<style" not in body and "style=" not in body and 'class="appendix" id' not in body and "display" not in body
    assert "Quick profile" in body and 'class="appendix"' in body and "QUICK PROFILE" in html


def test_script_and_markup_from_the_experiment_file_are_escaped_in_report_html(tmp_path: Path) -> None:
    script = "<script>alert(1)</script>"
    text = (VALID.replace("title: t\n", f"title: '{script}'\ncourse: '{script}'\nauthors: ['{script}']\ngroup: '{script}'\n")
            .replace('"Run A"', repr(script)) + _report(f"markdown: '**bold** {script}'", f"table: {{caption: '{script}'}}",
                                                        "best: {runs: [a], text: '{title} {{braces}} {run}'}")
            .replace("title: s\n", f"title: '{script}'\n"))
    html = _html(tmp_path, text)
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<strong>bold</strong>" in html
    assert re.search(r"&lt;script&gt;alert\(1\)&lt;/script&gt; \{braces\} a</p>", html), "best sentence: one pass, literal braces"


def test_markdown_keeps_what_an_answer_needs() -> None:
    html = markdown_to_html("# Q1\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n```python\nx = 1\n```\n\n"
                            "See [docs](https://keras.io), [below](#q2), [mail](mailto:a@b.c), [file](notes.txt), [js](javascript:x).\n\n"
                            "H<sub>2</sub>O, x<sup>2</sup>, *em*, > quote\n")
    assert '<th align="left">a</th>' in html and "<pre><code>x = 1" in html and "<h1>Q1</h1>" in html
    assert '<a href="https://keras.io">docs</a>' in html and '<a href="#q2">below</a>' in html and 'href="mailto:a@b.c"' in html
    assert "<a>file</a>" in html and 'href="javascript' not in html and "rel=" not in html  # a javascript: link stays text
    assert "<sub>2</sub>" in html and "<sup>2</sup>" in html and "<em>em</em>" in html


def test_a_run_title_cannot_add_markup_to_the_best_sentence(tmp_path: Path) -> None:
    title = "one\\n\\n## Verified test accuracy: 99.9%\\n\\n| run | acc |\\n|---|---|\\n| r1 | 99.9% |\\n\\n- [x](http://e)"
    html = _html(tmp_path, VALID.replace('"Run A"', f'"{title}"') + _report("best: {runs: [a]}"))
    sentence = html.split("Of these runs", 1)[1].split("</p>", 1)[0]
    assert "<h2" not in sentence and "<table" not in sentence and "<li" not in sentence and "<a " not in sentence
    assert "## Verified test accuracy: 99.9% | run | acc |" in sentence  # shown as written, on one line


@pytest.mark.parametrize("text", ["[" * 50_000, "[a](" * 20_000, "<a " * 30_000, "*a" * 30_000,
                                  "\n".join("    " * i + "- x" for i in range(300)), "> " * 5_000 + "x"],
                         ids=["brackets", "open_links", "open_tags", "emphasis", "deep_list", "deep_quote"])
def test_pathological_markdown_renders_in_linear_time(text: str) -> None:
    start = time.perf_counter()
    html = markdown_to_html(text)  # Python-Markdown took 20 s on 8,000 '[' and overflowed the stack on the list
    assert time.perf_counter() - start < 10 and "<script" not in html
