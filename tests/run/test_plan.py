"""The plan's reading of user files: a backbone's weights file must stay inside the experiment's folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportgen.errors import RunError
from reportgen.run.plan import _weights_files
from reportgen.spec import load_spec

SPEC = """\
title: t
datasets:
  d: {source: digits}
runs:
  a:
    model:
      - MobileNetV2: {weights: weights/mobilenet.h5, pooling: avg, input_size: 32}
      - Dense: {units: 10, activation: softmax}
"""


def test_a_weights_file_linked_from_outside_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.h5"
    secret.write_bytes(b"not yours")
    folder = tmp_path / "exp"
    (folder / "weights").mkdir(parents=True)
    (folder / "weights" / "mobilenet.h5").symlink_to(secret)
    (folder / "e.yaml").write_text(SPEC)
    run = load_spec(folder / "e.yaml").runs["a"]
    with pytest.raises(RunError, match="leads outside the experiment's folder"):
        _weights_files(run, folder)
    (folder / "weights" / "mobilenet.h5").unlink()
    (folder / "weights" / "mobilenet.h5").write_bytes(b"mine")
    assert _weights_files(run, folder) == {"MobileNetV2": str((folder / "weights" / "mobilenet.h5").resolve())}


def test_the_backbone_reader_refuses_a_link_out_too(tmp_path: Path) -> None:
    """validate builds the models: it must not read a weights file that leads outside either."""
    from reportgen.model.backbones import resolve_weights

    (tmp_path / "secret.h5").write_bytes(b"x")
    (tmp_path / "exp").mkdir()
    (tmp_path / "exp" / "w.h5").symlink_to(tmp_path / "secret.h5")
    with pytest.raises(RunError, match="leads outside the experiment's folder"):
        resolve_weights("MobileNetV2", "w.h5", tmp_path / "exp")
