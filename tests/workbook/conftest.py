"""Fixtures for workbook tests: the pw04 convolution spec and LibreOffice headless, which recalculates many files in one call."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from reportgen.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]

# A private profile that makes Calc recalculate every formula of an .xlsx on load (by default it trusts cached values).
PROFILE_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""
POISON = "-424242"  # replaces every cached value before LibreOffice sees the file: only a recalculation removes it


def poison_cached_values(source: Path, target: Path) -> int:
    """Copy an .xlsx, replacing the cached <v> of every formula cell with POISON; returns how many were replaced."""
    count = 0
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                text, n = re.subn(r"(</f>)<v>[^<]*</v>", rf"\1<v>{POISON}</v>", data.decode("utf-8"))
                data, count = text.encode("utf-8"), count + n
            dst.writestr(item, data)
    return count


class LibreOffice:
    """`soffice --headless --convert-to` with a private profile; one call converts every file given."""

    def __init__(self, soffice: str, profile: Path, workdir: Path) -> None:
        self.soffice, self.profile, self.workdir = soffice, profile, workdir
        self.calls = 0

    def convert(self, paths: list[Path], to: str) -> list[Path]:
        """Convert `paths` (unique stems) to `to` ("xlsx", "pdf"); returns the converted files, in order."""
        self.calls += 1
        outdir = self.workdir / f"out{self.calls}"
        outdir.mkdir()
        command = [self.soffice, f"-env:UserInstallation={self.profile.as_uri()}", "--headless", "--norestore",
                   "--convert-to", to, "--outdir", str(outdir), *map(str, paths)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
        results = [outdir / f"{path.stem}.{to}" for path in paths]
        missing = [p.name for p in results if not p.exists()]
        if done.returncode != 0 or missing:
            pytest.fail(f"LibreOffice failed to convert {missing or 'the files'} (exit {done.returncode}):\n"
                        f"{done.stdout}\n{done.stderr}", pytrace=False)
        return results

    def recalculate(self, paths: list[Path]) -> list[Path]:
        """Poison every cached value, let LibreOffice recalculate and save as .xlsx; returns the recalculated files."""
        poisoned = []
        for i, path in enumerate(paths):
            target = self.workdir / f"poisoned{self.calls + 1}-{i:03d}-{path.name}"
            assert poison_cached_values(path, target) > 0, f"{path.name} has no cached formula values to poison"
            poisoned.append(target)
        return self.convert(poisoned, "xlsx")


@pytest.fixture(scope="session")
def libreoffice(tmp_path_factory: pytest.TempPathFactory) -> LibreOffice:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.fail("LibreOffice is required to recalculate the workbooks but `soffice` is not on PATH. "
                    "Install it (apt-get install libreoffice-calc); CI installs it.", pytrace=False)
    profile = tmp_path_factory.mktemp("lo-profile")
    (profile / "user").mkdir()
    (profile / "user" / "registrymodifications.xcu").write_text(PROFILE_SETTINGS)
    return LibreOffice(soffice, profile, tmp_path_factory.mktemp("lo-work"))


@pytest.fixture(scope="session")
def pw04_convolution():
    return load_spec(ROOT / "experiments" / "pw04.yaml").convolution
