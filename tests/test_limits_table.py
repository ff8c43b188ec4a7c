"""The limits table: every bound is documented in the README with its default, and --limit parses as documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportgen.errors import ReportgenError
from reportgen.limits import LIMITS, parse_overrides

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_the_readme_documents_each_limit_and_its_default(name: str) -> None:
    assert f"| `{name}` | {LIMITS[name].default:,} | {LIMITS[name].counts} |" in README


def test_overrides_read_as_the_readme_says() -> None:
    assert parse_overrides("params=5e8, epochs=5000", "x") == {"params": 500_000_000, "epochs": 5000}
    for bad in ("params", "params=0", "params=1.5", "parms=5"):
        with pytest.raises(ReportgenError):
            parse_overrides(bad, "--limit")
