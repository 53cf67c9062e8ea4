"""Imports run one way, the way the tree reads: entry points -> app -> the doors -> middleware,
gateway -> jobs -> resolvers -> persistence -> schema, and no web framework below the doors.
The contracts are import-linter's, in pyproject.toml ([tool.importlinter])."""

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_import_runs_down_the_layers() -> None:
    linted = subprocess.run(
        [Path(sys.executable).with_name("lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr
    assert "0 broken" in linted.stdout


def test_no_test_module_imports_a_conftest_or_another_test_module() -> None:
    """Fixtures live in each level's conftest.py, which pytest loads; what tests share besides
    fixtures lives in plain helper modules (tests/stores.py, tests/api/apps.py, ...)."""
    importing = {
        f"{path.relative_to(ROOT).as_posix()}: {module}"
        for path in (ROOT / "tests").rglob("*.py")
        for module in _imported_modules(path.read_text())
        if module.rsplit(".", 1)[-1] == "conftest" or module.rsplit(".", 1)[-1].startswith("test_")
    }
    assert importing == set()


def _imported_modules(source: str) -> set[str]:
    """Every module named by an import statement, also in code a test runs as a string."""
    named = set(re.findall(r"^\s*from\s+(tests\.[\w.]+)\s+import", source, re.MULTILINE))
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            named.add(node.module)
        elif isinstance(node, ast.Import):
            named.update(alias.name for alias in node.names)
    return {module for module in named if module.startswith("tests")}
