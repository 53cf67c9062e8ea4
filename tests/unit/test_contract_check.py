"""The contract check's parts: CHANGELOG.md's listed breaking changes (read back exactly as the
check prints them), the stamp of a release, the last released version, graphql-core's findings
as lines, and `release` and `freeze` on a copy of the files they touch."""

import json
import shutil
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scripts.contract import __main__ as cli
from scripts.contract.changelog import (
    code_span,
    entry,
    listed_breaking,
    released_versions,
    stamp,
)
from scripts.contract.check import ROOT, compare, graphql_changes, latest_release

CHANGELOG = """# Changelog

## [Unreleased]

### Added

- `GraphQL: not breaking, not listed`

### Breaking

{items}

### Fixed

- `GraphQL: after the list`

## [0.1.0] - 2026-12-07

### Breaking

- `GraphQL: released already`
"""
# A change as the check words it: any text on one line (backticks included).
CHANGES = st.text(st.characters(exclude_categories=["Cc", "Cs", "Zl", "Zp"]), min_size=1).filter(
    lambda text: text.strip() == text and text.strip("`")
)


@given(st.lists(CHANGES, max_size=6, unique=True), st.text("why. ", max_size=30))
def test_every_pasted_line_is_read_back_as_the_change_it_names(
    changes: list[str], why: str
) -> None:
    items = "\n".join(f"{entry(change)} {why}".rstrip() for change in changes)
    assert listed_breaking(CHANGELOG.format(items=items)) == set(changes)


def test_only_the_unreleased_breaking_items_count() -> None:
    assert listed_breaking(CHANGELOG.format(items="")) == set()
    assert listed_breaking(CHANGELOG.format(items="- plain words\n- `a` and `b`")) == {"a"}
    assert listed_breaking("# Changelog\n") == set()


@pytest.mark.parametrize(
    ("text", "span"),
    [("a", "`a`"), ("a`b", "``a`b``"), ("`a", "`` `a ``"), ("a``b`", "``` a``b` ```")],
)
def test_a_code_span_holds_any_backticks(text: str, span: str) -> None:
    assert code_span(text) == span


def test_a_release_stamps_the_unreleased_section_under_a_new_empty_one() -> None:
    before = CHANGELOG.format(items="- `x` why")
    after = stamp(before, "0.2.0", "2026-12-24")
    assert after == before.replace(
        "## [Unreleased]\n", "## [Unreleased]\n\n## [0.2.0] - 2026-12-24\n"
    )
    assert released_versions(after) == ["0.2.0", "0.1.0"]
    assert listed_breaking(after) == set()
    with pytest.raises(ValueError, match="Unreleased"):
        stamp("# Changelog\n", "0.2.0", "2026-12-24")


def test_the_last_release_is_the_highest_version(tmp_path: Path) -> None:
    for name in ["0.9.0", "0.10.0", "0.2.1", "notes", "1.0.0rc1"]:
        (tmp_path / "docs" / "released" / name).mkdir(parents=True)
    assert latest_release(tmp_path) == "0.10.0"
    shutil.rmtree(tmp_path / "docs" / "released")
    (tmp_path / "docs" / "released").mkdir()
    with pytest.raises(FileNotFoundError, match="no released contract"):
        latest_release(tmp_path)


def test_graphql_findings_are_lines_of_their_own() -> None:
    before = "type Query { a(t: String): Int, b: String! }"
    after = "type Query { a(t: [String!], u: Int): Int, b: String }"
    assert graphql_changes(before, after) == (
        [
            "GraphQL: Argument Query.a(t:) has changed type from String to [String!].",
            "GraphQL: Field Query.b changed type from String! to String.",
        ],
        ["GraphQL: An optional argument Query.a(u:) was added."],
    )


def a_checkout(tmp_path: Path, listed: str = "") -> Path:
    """The files `release` and `freeze` read and write, as in this repository, with 0.1.0's
    contract as today's (plus `listed` under Unreleased's Breaking)."""
    for name in ["pyproject.toml", "gateway/__init__.py", "docs/released/0.1.0"]:
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copyfile
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        copy(ROOT / name, tmp_path / name)
    for name in ["schema.graphql", "openapi.json"]:
        shutil.copyfile(ROOT / "docs/released/0.1.0" / name, tmp_path / "docs" / name)
    (tmp_path / "CHANGELOG.md").write_text(CHANGELOG.format(items=listed))
    return tmp_path


def test_release_stamps_every_version_and_freeze_keeps_the_contract(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = a_checkout(tmp_path)
    assert cli.main(["release", "0.2.0"], root) == 0
    assert tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"] == "0.2.0"
    assert '__version__ = "0.2.0"' in (root / "gateway/__init__.py").read_text()
    assert released_versions((root / "CHANGELOG.md").read_text())[:2] == ["0.2.0", "0.1.0"]
    assert cli.main(["freeze", "0.2.0"], root) == 0
    for name in ["schema.graphql", "openapi.json"]:
        assert (root / "docs/released/0.2.0" / name).read_text() == (
            root / "docs" / name
        ).read_text()
    assert latest_release(root) == "0.2.0"
    assert cli.main(["freeze", "0.2.0"], root) == 1
    assert "a released contract never changes" in capsys.readouterr().err


def files(root: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in root.rglob("*") if path.is_file()}


def test_release_refuses_an_unlisted_break_a_version_not_above_the_last_and_no_unreleased(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = a_checkout(tmp_path)
    untouched = files(root)
    assert cli.main(["release", "0.1.0"], root) == 1
    assert "0.1.0 is not above the last release, 0.1.0" in capsys.readouterr().err
    changelog = (root / "CHANGELOG.md").read_text().replace("## [Unreleased]", "## Next")
    (root / "CHANGELOG.md").write_text(changelog)
    untouched[root / "CHANGELOG.md"] = changelog.encode()
    assert cli.main(["release", "0.2.0"], root) == 1
    assert "CHANGELOG.md has no `## [Unreleased]` section" in capsys.readouterr().err
    assert files(root) == untouched
    openapi = json.loads((root / "docs/openapi.json").read_text())
    del openapi["paths"]["/health"]
    (root / "docs/openapi.json").write_text(json.dumps(openapi))
    untouched[root / "docs/openapi.json"] = (root / "docs/openapi.json").read_bytes()
    assert cli.main(["release", "0.2.0"], root) == 1
    assert "- `REST: path /health: removed`" in capsys.readouterr().out
    assert files(root) == untouched
    with pytest.raises(SystemExit):
        cli.main(["release", "0.2"], root)


def test_a_listed_break_passes_and_the_report_says_what_was_found(tmp_path: Path) -> None:
    root = a_checkout(tmp_path, listed="- `REST: path /health: removed` Nobody asks it.")
    openapi = json.loads((root / "docs/openapi.json").read_text())
    del openapi["paths"]["/health"]
    (root / "docs/openapi.json").write_text(json.dumps(openapi))
    report = compare(root)
    assert (report.breaking, report.unlisted) == (["REST: path /health: removed"], [])
    assert report.text() == (
        "Compared with the contract released as 0.1.0 (docs/released/):\n"
        "Breaking changes: 1\n"
        "  REST: path /health: removed\n"
        "Dangerous changes: 0"
    )
