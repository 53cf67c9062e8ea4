"""CHANGELOG.md (Keep a Changelog): the breaking changes its Unreleased section lists, and the
stamp that turns that section into a release.

A breaking change is listed as an item of `### Breaking` under `## [Unreleased]` that opens
with the change in a code span, exactly as the check prints it, followed by why:

    - `GraphQL: Query.events(eventType:) has changed type from [String!] to String.` Why...

Read line by line rather than with a Markdown parser: the format is this project's own, one
item per change opening its first line, and the two headings that bound it."""

import re
from collections.abc import Iterable

UNRELEASED = "## [Unreleased]"
BREAKING = "### Breaking"
# An item opening with a code span of any number of backticks (CommonMark: the same number
# closes it; one space inside each end is dropped when both are there).
_ITEM = re.compile(r"^[-*+] +(`+)(?!`)(.+?)(?<!`)\1(?!`)")


def code_span(text: str) -> str:
    """`text` as a Markdown code span, however many backticks it holds."""
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") else text
    return f"{fence}{padded}{fence}"


def entry(change: str) -> str:
    """The item to paste under `### Breaking` (the reason goes after it)."""
    return f"- {code_span(change)}"


def listed_breaking(changelog: str) -> set[str]:
    """The changes the Unreleased section's `### Breaking` items name."""
    listed = set()
    for line in _subsection(_section(changelog.splitlines(), UNRELEASED), BREAKING):
        item = _ITEM.match(line)
        if item:
            text = item.group(2)
            both_padded = text.startswith(" ") and text.endswith(" ") and text.strip()
            listed.add(text[1:-1] if both_padded else text)
    return listed


def stamp(changelog: str, version: str, date: str) -> str:
    """The changelog with the Unreleased section released as `version` on `date` (ISO), under
    a new, empty Unreleased section."""
    lines = changelog.splitlines()
    if UNRELEASED not in lines:
        raise ValueError(f"CHANGELOG.md has no `{UNRELEASED}` section to release")
    at = lines.index(UNRELEASED)
    released = [UNRELEASED, "", f"## [{version}] - {date}"]
    return "\n".join([*lines[:at], *released, *lines[at + 1 :]]) + "\n"


def released_versions(changelog: str) -> list[str]:
    """The versions of the dated sections, newest first as written."""
    return re.findall(r"^## \[([^\]]+)\] - \d{4}-\d{2}-\d{2}$", changelog, flags=re.MULTILINE)


def _section(lines: Iterable[str], heading: str) -> list[str]:
    return _between(lines, heading, ("## ",))


def _subsection(lines: Iterable[str], heading: str) -> list[str]:
    return _between(lines, heading, ("## ", "### "))


def _between(lines: Iterable[str], heading: str, ends: tuple[str, ...]) -> list[str]:
    """The lines under `heading` up to the next heading that starts with one of `ends`."""
    found: list[str] = []
    inside = False
    for line in lines:
        if line.rstrip() == heading:
            inside = True
        elif inside and line.startswith(ends):
            break
        elif inside:
            found.append(line)
    return found
