"""Today's contract (docs/schema.graphql, docs/openapi.json) against the last one released
(docs/released/<highest version>/): what breaks clients built on it, what may surprise them,
and which breaking changes CHANGELOG.md's Unreleased section does not list yet."""

import json
import re
from dataclasses import dataclass
from pathlib import Path

from graphql import build_schema, find_breaking_changes, find_dangerous_changes

from scripts.contract.changelog import entry, listed_breaking
from scripts.contract.openapi_changes import breaking_changes

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ("schema.graphql", "openapi.json")
# How a release is named: MAJOR.MINOR.PATCH, no pre-releases.
RELEASE_VERSION = re.compile(r"\d+\.\d+\.\d+")


@dataclass(frozen=True)
class Report:
    release: str
    breaking: list[str]
    dangerous: list[str]
    listed: set[str]

    @property
    def unlisted(self) -> list[str]:
        return [change for change in self.breaking if change not in self.listed]

    def text(self) -> str:
        """What a person reads: every finding, and the lines to paste for the unlisted."""
        lines = [f"Compared with the contract released as {self.release} (docs/released/):"]
        for title, changes in (("Breaking", self.breaking), ("Dangerous", self.dangerous)):
            lines += [f"{title} changes: {len(changes)}", *(f"  {c}" for c in changes)]
        if self.unlisted:
            lines += [
                "Not listed in CHANGELOG.md: make the change additive, or, if it is meant, paste "
                "these under `### Breaking` in `## [Unreleased]`, each followed by why:",
                *(entry(change) for change in self.unlisted),
            ]
        return "\n".join(lines)


def version_key(name: str) -> tuple[int, ...] | None:
    """A released version's place in version order, for MAJOR.MINOR.PATCH names only."""
    return tuple(map(int, name.split("."))) if RELEASE_VERSION.fullmatch(name) else None


def latest_release(root: Path = ROOT) -> str:
    """The highest version under docs/released/ (by version order: 0.10.0 after 0.9.0)."""
    versions = [
        (key, folder.name)
        for folder in (root / "docs" / "released").iterdir()
        if (key := version_key(folder.name)) is not None
    ]
    if not versions:
        raise FileNotFoundError("docs/released/ holds no released contract")
    return max(versions)[1]


def graphql_changes(before: str, after: str) -> tuple[list[str], list[str]]:
    """graphql-core's breaking and dangerous changes between two SDL texts, one line each."""
    old, new = build_schema(before), build_schema(after)
    return (
        [f"GraphQL: {change.description}" for change in find_breaking_changes(old, new)],
        [f"GraphQL: {change.description}" for change in find_dangerous_changes(old, new)],
    )


def compare(root: Path = ROOT) -> Report:
    release = latest_release(root)
    released = root / "docs" / "released" / release
    before = {name: (released / name).read_text(encoding="utf-8") for name in CONTRACT}
    after = {name: (root / "docs" / name).read_text(encoding="utf-8") for name in CONTRACT}
    breaking, dangerous = graphql_changes(before["schema.graphql"], after["schema.graphql"])
    breaking += breaking_changes(
        json.loads(before["openapi.json"]), json.loads(after["openapi.json"])
    )
    changelog = root / "CHANGELOG.md"
    listed = listed_breaking(changelog.read_text(encoding="utf-8")) if changelog.exists() else set()
    return Report(release, breaking, dangerous, listed)
