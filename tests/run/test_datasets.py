"""A dataset that is not found is said at its line in the experiment file, with every folder looked in and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportgen.cli import main
from reportgen.errors import DataError
from reportgen.run.datasets import load_dataset, locate_dataset, peek_dataset
from reportgen.spec import load_spec

EXPERIMENT = """\
title: "Missing data"
datasets:
  letters: {source: idx, path: notmnist-10k}
training: {epochs: 1}
runs:
  a: {dataset: letters, model: [Flatten, {Dense: {units: 10, activation: softmax}}]}
report:
  sections:
    - title: R
      content: [{table: {}}]
"""


@pytest.fixture
def spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("REPORTGEN_DATA_PATH", f"{tmp_path / 'data-a'}:{tmp_path / 'data-b'}")
    (tmp_path / "exp").mkdir()
    (tmp_path / "exp" / "x.yaml").write_text(EXPERIMENT)
    return load_spec(tmp_path / "exp" / "x.yaml")


def test_a_missing_folder_says_where_it_looked_and_how_to_fix_it(spec, tmp_path: Path) -> None:
    for call in (locate_dataset, load_dataset, peek_dataset):
        with pytest.raises(DataError) as caught:
            call(spec.datasets["letters"])
        message = str(caught.value)
        assert message.startswith(f"{spec.file}:3:32: datasets.letters.path: folder 'notmnist-10k' not found; looked in "
                                  f"{tmp_path / 'exp'} (the experiment's folder), {tmp_path / 'data-a'} (REPORTGEN_DATA_PATH), "
                                  f"{tmp_path / 'data-b'} (REPORTGEN_DATA_PATH). Hint: put the folder there, or add the folder "
                                  "that holds it to REPORTGEN_DATA_PATH"), message


def test_a_build_stops_on_it_with_one_line(spec, tmp_path: Path, capsys) -> None:
    code = main(["report", spec.file, "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "cache")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "datasets.letters.path: folder 'notmnist-10k' not found; looked in" in err
    assert "Traceback" not in err


def test_another_data_error_is_located_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REPORTGEN_DATA_PATH", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    (tmp_path / "x.yaml").write_text(EXPERIMENT.replace("{source: idx, path: notmnist-10k}", "{source: notmnist}"))
    import reportgen.data.keras_fallback as fallback

    monkeypatch.setattr(fallback, "fetch_files", lambda *a: (_ for _ in ()).throw(OSError("Name or service not known")))
    spec = load_spec(tmp_path / "x.yaml")
    with pytest.raises(DataError) as caught:
        load_dataset(spec.datasets["letters"])
    assert str(caught.value).startswith(f"{spec.file}:3:12: datasets.letters: dataset 'notmnist' not found: looked for notmnist/")
    assert "REPORTGEN_DATA_PATH (unset)" in str(caught.value) and "the download failed (Name or service not known)" in str(caught.value)
