"""Seed replicates end to end: each seed trained and cached on its own, mean ± std (ddof=1) in the table equal to numpy's,
every replicate in results.json, a child's replicate starting from its parent's of the same seed."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from reportgen.cli import main
from reportgen.numbers import fixed

SPEC = """\
title: "Seeds"
datasets:
  flat: {{source: digits, flatten: true}}
training: {{epochs: 1, batch_size: 64, seed: 0}}
runs:
  mlp:
    seeds: {seeds}
    model: [{{Dense: {{units: 16, activation: relu, name: hidden}}}}, {{Dense: {{units: 10, activation: softmax}}}}]
  tuned:
    seeds: [1, 4]
    from: {{run: mlp, layers: [hidden], trainable: true}}
    model: [{{Dense: {{units: 16, activation: relu, name: hidden}}}}, {{Dense: {{units: 10, activation: softmax}}}}]
  lin:
    model: [{{Dense: {{units: 10, activation: softmax}}}}]
report:
  sections:
    - title: Results
      content:
        - table: {{caption: Accuracies, columns: [run, test_accuracy, train_accuracy, test_loss, epochs]}}
        - best: {{runs: [mlp, lin], metric: test_accuracy, text: "Best: {{run}} with {{value}}."}}
        - curves: {{runs: [mlp, lin]}}
"""


def _build(tmp: Path, seeds: str) -> dict:
    (tmp / "seeds.yaml").write_text(SPEC.format(seeds=seeds))
    assert main(["report", str(tmp / "seeds.yaml"), "--out", str(tmp / "out"), "--cache", str(tmp / "cache")]) == 0
    return json.loads((tmp / "out" / "results.json").read_text())["runs"]


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("seeds")
    first = _build(tmp, "[0, 1, 2]")
    text = subprocess.run(["pdftotext", "-layout", str(tmp / "out" / "report.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    again = _build(tmp, "[0, 1, 2, 3]")
    return {"tmp": tmp, "first": first, "text": text, "again": again}


def _percent(entry: dict, split: str) -> float:
    return 100 * entry["metrics"][f"{split}_correct"] / entry["metrics"][f"{split}_total"]


def test_three_seeds_give_numpys_mean_and_std_in_the_table(builds: dict) -> None:
    mlp = builds["first"]["mlp"]
    assert mlp["seeds"] == [0, 1, 2] and [r["seed"] for r in mlp["replicates"]] == [0, 1, 2]
    assert len({r["cache_key"] for r in mlp["replicates"]}) == 3
    text = " ".join(builds["text"].split())
    for split in ("test", "train"):
        values = np.array([_percent(r, split) for r in mlp["replicates"]])
        assert len(set(values)) > 1  # the seeds gave different runs: a std of 0 would prove little
        mean, std = values.mean(), values.std(ddof=1)
        assert mlp["metrics"][f"{split}_accuracy"] == pytest.approx(mean / 100, abs=1e-12)
        assert mlp["std"][f"{split}_accuracy"] == pytest.approx(std / 100, abs=1e-12)
        assert f"{fixed(mean, 2)} ± {fixed(std, 2)}" in text
    losses = np.array([r["metrics"]["test_loss"] for r in mlp["replicates"]])
    assert f"{fixed(losses.mean(), 4)} ± {fixed(losses.std(ddof=1), 4)}" in text
    assert "mlp: seeds 0, 1, 2" in text and "sample standard deviation" in text
    assert re.search(r"Best: (mlp with [0-9.]+ ± [0-9.]+% \(mean ± std over 3 seeds\)|lin with [0-9.]+%)", text)


def test_a_single_run_keeps_its_plain_cells_and_entry(builds: dict) -> None:
    lin = builds["first"]["lin"]
    assert "replicates" not in lin and "seeds" not in lin
    single = re.search(r"^\s*lin\s+(\S+)", builds["text"], flags=re.M)
    assert single and single.group(1).endswith("%") and "±" not in single.group(1)


def test_each_replicate_is_cached_on_its_own(builds: dict) -> None:
    first, again = builds["first"], builds["again"]
    assert [r["from_cache"] for r in again["mlp"]["replicates"]] == [True, True, True, False]  # only seed 3 trained
    assert [r["cache_key"] for r in again["mlp"]["replicates"][:3]] == [r["cache_key"] for r in first["mlp"]["replicates"]]
    assert again["lin"]["from_cache"] and again["tuned"]["replicates"][0]["from_cache"]


def test_a_childs_replicate_starts_from_its_parents_replicate_of_the_same_seed(builds: dict) -> None:
    runs, cache = builds["first"], builds["tmp"] / "cache"
    parent_keys = {r["seed"]: r["cache_key"] for r in runs["mlp"]["replicates"]}
    for replicate in runs["tuned"]["replicates"]:
        record = json.loads(next(cache.glob(f"??/{replicate['cache_key']}/result.json")).read_text())
        expected = parent_keys.get(replicate["seed"], parent_keys[0])  # seed 4: mlp has none; its first seed's
        assert record["parents"] == {"mlp": expected}
