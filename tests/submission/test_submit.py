"""reportgen submit: what the zip holds, the manifest's hashes and provenance, the same bytes for the same build, quick refused."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

from submissions import DEMO, members_of

from reportgen.cli import main
from reportgen.run.environment import backend_name
from reportgen.submission.notebook import make_notebook
from reportgen.pipeline import BuildSummary
from reportgen.submission.submit import pack
from reportgen.spec import load_spec

MEMBERS = {"manifest.json", "report.pdf", "results.json", "reproduce.ipynb", "demo.ipynb", "experiments/demo.yaml",
           "experiments/answers/demo.md"}


def test_a_quick_build_is_refused_without_allow_quick(capsys) -> None:
    assert main(["submit", str(DEMO), "--quick"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: a quick build") and "--allow-quick" in err


def test_the_zip_holds_the_build_its_files_and_where_each_run_was_trained(demo_submission: Path) -> None:
    members = members_of(demo_submission)
    weights = {m for m in members if m.startswith("notebook/")}  # each trained replicate's weights and history
    assert set(members) - weights == MEMBERS and len(weights) == 2 * 9
    assert members["experiments/demo.yaml"] == DEMO.read_bytes()
    assert members["experiments/answers/demo.md"] == (DEMO.parent / "answers" / "demo.md").read_bytes()
    manifest = json.loads(members["manifest.json"])
    assert manifest["files"] == {n: hashlib.sha256(b).hexdigest() for n, b in members.items() if n != "manifest.json"}
    assert manifest["profile"] == "quick" and manifest["experiment"]["file"] == "experiments/demo.yaml"
    assert manifest["experiment"]["authors"] == ["reportgen"] and manifest["experiment"]["group"] == "demo"
    assert set(manifest["data"]) == {"digits", "digits_flat"} and all(len(v) == 64 for v in manifest["data"].values())
    assert manifest["versions"]["keras"] and manifest["versions"]["backend"] == backend_name()
    results = json.loads(members["results.json"])
    assert set(manifest["runs"]) == set(results["runs"]) == {"dense1", "mlp[units=32]", "mlp[units=128]", "cnn", "cnn_bn"}
    mlp = manifest["runs"]["mlp[units=128]"]
    assert mlp["seeds"] == [1, 2, 3] and mlp["cache_keys"] == [r["cache_key"] for r in results["runs"]["mlp[units=128]"]["replicates"]]
    assert manifest["runs"]["cnn"] == {**manifest["runs"]["cnn"], "seeds": [1], "cache_keys": [results["runs"]["cnn"]["cache_key"]]}
    for run in manifest["runs"].values():
        for trained in run["trained"]:
            assert trained["backend"] == backend_name() and trained["devices"] and trained["precision"] == "float32"
            assert trained["sealed"] == "sealed on this machine" and trained["data"] in manifest["data"].values()
    notebook = json.loads(members["reproduce.ipynb"])
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    code = "".join("".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code")
    assert "experiments/demo.yaml" in code and '"reportgen", "report"' in code and "QUICK = True" in code


def test_the_same_build_gives_the_same_bytes(demo_submission: Path) -> None:
    before = demo_submission.read_bytes()
    with zipfile.ZipFile(demo_submission) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)} and {i.external_attr >> 16 for i in infos} == {0o100644}
    folder = demo_submission.parent  # packed again from the same build (whether or not a rebuild would be up to date)
    again = pack(str(DEMO), BuildSummary("demo", folder), demo_submission.parents[1] / "cache", allow_quick=True)
    assert again.zip == demo_submission and demo_submission.read_bytes() == before
    spec = load_spec(DEMO)
    assert make_notebook(spec, "experiments/demo.yaml", True) == make_notebook(spec, "experiments/demo.yaml", True)
