"""dynalite serves only as the project's patch changes it (patches/): the installed package
carries every hunk of the patch made for its version, and a dynalite installed without the patch
(`npm ci` alone) refuses to start, saying how to install it."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from persistence.embedded import (
    DYNALITE_PACKAGE,
    PATCHES,
    ROOT,
    Dynalite,
    UnpatchedDynalite,
    unpatched_files,
)

PATCH_PACKAGE = ROOT / "node_modules" / ".bin" / "patch-package"


def test_the_installed_dynalite_carries_the_patch_made_for_its_version() -> None:
    version = json.loads((DYNALITE_PACKAGE / "package.json").read_text())["version"]
    assert [patch.name for patch in PATCHES.glob("dynalite+*.patch")] == [
        f"dynalite+{version}.patch"
    ], "dynalite changed version: make the patch again (patches/README.md)"
    assert unpatched_files() == [], (
        "node_modules/dynalite lacks the project's patch: `npm ci` ran without it; "
        "run `make dynalite`"
    )


def test_a_dynalite_installed_without_the_patch_does_not_start(tmp_path: Path) -> None:
    """The installed dynalite with the patch taken off again by patch-package itself: what
    `npm ci` alone leaves."""
    unpatched = tmp_path / "node_modules" / "dynalite"
    shutil.copytree(DYNALITE_PACKAGE, unpatched)
    shutil.copytree(PATCHES, tmp_path / "patches")
    (tmp_path / "package.json").write_text("{}")
    subprocess.run(
        [PATCH_PACKAGE, "--reverse", "--error-on-fail"], cwd=tmp_path, check=True, timeout=60
    )
    (patch,) = PATCHES.glob("dynalite+*.patch")
    changed = re.findall(r"^\+\+\+ b/node_modules/dynalite/(\S+)$", patch.read_text(), re.M)
    assert unpatched_files(unpatched) == sorted(changed)
    dynalite = Dynalite(unpatched)
    with pytest.raises(UnpatchedDynalite) as refused:
        dynalite.start()
    assert str(refused.value) == (
        f"{unpatched} lacks the project's patch (patches/, in {', '.join(sorted(changed))}), "
        "so it would lose keys such as __proto__: `npm ci` does not apply it; `make dynalite` "
        "does (make run and make test run it)"
    )
    assert dynalite.pid is None
