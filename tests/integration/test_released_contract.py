"""The contract clients were given stays theirs: every breaking change since the last release
(docs/released/<highest version>/) is listed in CHANGELOG.md, and a release names one version
everywhere. Runs from the files alone, as CI's fresh clone has them."""

import json
import tomllib
import warnings

import gateway
from scripts.contract.changelog import released_versions
from scripts.contract.check import CONTRACT, ROOT, compare, latest_release


def test_no_breaking_change_since_the_last_release_goes_unlisted() -> None:
    report = compare()
    if report.dangerous:
        warnings.warn(
            "Changes that may surprise clients (not failures): " + "; ".join(report.dangerous),
            stacklevel=1,
        )
    assert report.unlisted == [], report.text()


def test_a_release_names_one_version_everywhere() -> None:
    release = latest_release()
    assert all((ROOT / "docs" / "released" / release / name).is_file() for name in CONTRACT)
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    openapi = json.loads((ROOT / "docs" / "openapi.json").read_text())
    changelog = (ROOT / "CHANGELOG.md").read_text()
    stated = {
        "pyproject.toml": pyproject["project"]["version"],
        "gateway.__version__": gateway.__version__,
        "docs/openapi.json": openapi["info"]["version"],
        "CHANGELOG.md": released_versions(changelog)[0],
    }
    assert stated == dict.fromkeys(stated, release)
