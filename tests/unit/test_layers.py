"""Imports run one way, the way the tree reads: entry points -> app -> the doors -> middleware,
gateway -> jobs -> resolvers -> persistence -> schema, and no web framework below the doors.
The contracts are import-linter's, in pyproject.toml ([tool.importlinter])."""

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
