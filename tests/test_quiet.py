"""A build's output holds no native log line of TensorFlow or JAX (absl's `I0000 00:00:... file.cc:31] ...`), on any backend."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from datafiles import ONE_RUN

ROOT = Path(__file__).resolve().parents[1]

# absl's prefix (severity, MMDD, time, thread, file:line]), the notice it prints before its set-up, and the prefix of
# TensorFlow's older logging (date, time: severity file:line]).
NATIVE_LINE = re.compile(r"^([IWEF]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\]|WARNING: All log messages before absl::InitializeLog"
                         r"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] \S+:\d+\])", re.MULTILINE)


# With jax, Keras imports TensorFlow (where it is installed) only at the first run's keras.utils.set_random_seed.
@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_a_build_prints_no_native_log_line(tmp_path: Path, backend: str) -> None:
    (tmp_path / "one.yaml").write_text(ONE_RUN)
    env = {**os.environ, "REPORTGEN_KEY": str(tmp_path / "key"), "KERAS_BACKEND": backend}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # reportgen's own default, not the caller's
    done = subprocess.run([sys.executable, "-m", "reportgen", "report", str(tmp_path / "one.yaml"), "--out", str(tmp_path / "out"),
                           "--cache", str(tmp_path / "cache")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "1 trained" in done.stdout + done.stderr
    assert not NATIVE_LINE.findall(done.stdout + done.stderr), done.stderr
