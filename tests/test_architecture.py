"""The layering of ARCHITECTURE.md, checked: imports point down the stack, and the render path never loads Keras."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "reportgen"

# What each area may import from reportgen (besides itself).
_BASE = {"errors", "registry", "limits", "numbers", "text", "atomic"}  # the bottom: errors, lookup tables, bounds, rounding, escaping, whole-file writes
ALLOWED = {
    "spec": _BASE,
    "data": _BASE | {"quiet"},
    "model": _BASE | {"spec", "quiet"},
    "run": _BASE | {"spec", "data", "model", "quiet"},
    "exercises": _BASE | {"spec"},
    "figures": _BASE | {"run"},
    "report": _BASE | {"spec", "exercises"},
    "workbook": _BASE | {"spec", "exercises"},
    # The second renderer of the spec: results into plain Keras code (the report's column text and sanitiser reused).
    "notebook": _BASE | {"spec", "data", "model", "run", "report", "quiet"},
    # The top: submissions are built from builds and verified by rebuilding; only the command line sits above them.
    "submission": _BASE | {"spec", "data", "model", "run", "exercises", "figures", "report", "workbook", "notebook", "pipeline",
                           "quiet"},
}


def _reportgen_imports(path: Path, area: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module and node.module.startswith("reportgen."):
                found.add(node.module.split(".")[1])
            elif node.level == 2 and node.module:
                found.add(node.module.split(".")[0])
            elif node.level == 2:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("reportgen."))
    return found - {area}


@pytest.mark.parametrize("area", sorted(ALLOWED))
def test_imports_point_down_the_stack(area: str) -> None:
    for path in sorted((PACKAGE / area).rglob("*.py")):
        extra = _reportgen_imports(path, area) - ALLOWED[area]
        assert not extra, f"{path.relative_to(PACKAGE.parent)} imports {sorted(extra)}"


@pytest.mark.parametrize("area", ["spec", "exercises", "report", "figures", "workbook", "notebook", "pipeline", "api"])
def test_render_path_modules_do_not_import_keras(area: str) -> None:
    code = f"import sys, reportgen.{area}; print(sorted(m for m in ('keras', 'tensorflow', 'jax', 'torch') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PACKAGE.parent, check=True)
    assert done.stdout.strip() == "[]"


def test_every_module_has_a_one_line_docstring() -> None:
    for path in sorted(PACKAGE.rglob("*.py")):
        doc = ast.get_docstring(ast.parse(path.read_text()))
        assert doc and "\n" not in doc.strip(), f"{path.relative_to(PACKAGE.parent)} needs a one-line docstring"


def _local_imports(path: Path, area: str) -> set[str]:
    """The modules of the same package that a module imports, at its top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found.update([node.module.split(".")[0]] if node.module else [alias.name for alias in node.names])
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith(f"reportgen.{area}."):
            found.add(node.module.split(".")[2])
    return found - {"__init__"}


@pytest.mark.parametrize("area", ["submission"])
def test_no_circles_inside_a_package(area: str) -> None:
    """ARCHITECTURE.md: shared types go to a module both sides import (submission/grades.py), so no module of the
    package reaches itself through its imports, deferred ones included."""
    modules = {p.stem: _local_imports(p, area) for p in (PACKAGE / area).glob("*.py") if p.stem != "__init__"}

    def reach(start: str) -> set[str]:
        seen, todo = set(), list(modules.get(start, ()))
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo += modules.get(name, ())
        return seen

    circles = sorted(name for name in modules if name in reach(name))
    assert not circles, f"{area}/: {', '.join(circles)} import themselves through others"
