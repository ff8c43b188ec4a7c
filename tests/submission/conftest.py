"""Fixtures for submissions: the demo's quick build submitted once per session, and variants of it made by editing members."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest
from submissions import DEMO, make_variant
from workbook.conftest import libreoffice  # noqa: F401 - LibreOffice headless, for grades.xlsx too

from reportgen.submission.submit import submit


@pytest.fixture(scope="session")
def demo_submission(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's submission.zip at `--quick --allow-quick`, built once per session in a folder whose cache/ (demo_cache)
    holds its runs: a verification against that cache trains nothing."""
    root = tmp_path_factory.mktemp("demo-submission")
    done = submit(str(DEMO), quick=True, allow_quick=True, out=root / "build", cache=root / "cache", show_progress=False)
    assert not done.build.failed
    return done.zip


@pytest.fixture(scope="session")
def demo_cache(demo_submission: Path) -> Path:
    """The result cache demo_submission was built with: a grader's cache that already holds every honest run."""
    return demo_submission.parents[1] / "cache"


@pytest.fixture(scope="session")
def make_submission(demo_submission: Path) -> Callable[..., Path]:
    """make_submission(tmp, edit=callable, rehash=False, name='submission.zip'): a variant of demo_submission whose
    members ({name: bytes}) `edit` changes in place; rehash=True brings manifest.json's hashes up to date."""
    return lambda tmp, edit=None, **options: make_variant(Path(tmp), edit, source=demo_submission, **options)

