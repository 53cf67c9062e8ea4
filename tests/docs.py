"""Reading the docs as tests need them: the examples with their printed answers, sections and
tables of docs/rest.md, and the comparison that ignores what each run generates."""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTED_URL = "http://127.0.0.1:8000"
GENERATED = {"receivedAt", "requestId", "endCursor", "startCursor", "cursor", "nextCursor"}
GENERATED_HEADERS = {"date", "x-request-id", "content-length"}
FENCE = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)


# Sections whose examples run against `make run AUTH=dev` (a server that checks tokens, with
# $ISSUER and user-42's $TOKEN from its banner); every other example runs against `make run`.
AUTH_SECTIONS = {"README.md": "## Trying authentication", "docs/rest.md": "## Authentication"}


@dataclass(frozen=True)
class Example:
    command: str
    language: str | None  # of the answer printed under it; None for a set-up step
    answer: str
    section: str  # the `## ` heading it is under


def examples(document: str) -> list[Example]:
    """Each `sh` block that runs curl, with the fenced block printed directly under it."""
    text = (ROOT / document).read_text()
    blocks = [(m.group(1), m.group(2), m.start(), m.end()) for m in FENCE.finditer(text)]
    found = []
    for index, (lang, body, start, end) in enumerate(blocks):
        if lang != "sh" or "curl " not in body:
            continue
        headings = re.findall(r"^## .*$", text[:start], re.MULTILINE)
        heading = headings[-1] if headings else ""
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        if following and following[0] != "sh" and text[end : following[2]].strip() == "":
            found.append(Example(body.strip(), following[0], following[1], heading))
        else:
            found.append(Example(body.strip(), None, "", heading))
    return found


def needs_tokens(document: str, example: Example) -> bool:
    return example.section == AUTH_SECTIONS.get(document)


def scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: "<generated>" if key in GENERATED else scrub(item) for key, item in value.items()
        }
    if isinstance(value, list):
        return [scrub(item) for item in value]
    return value


def same_json(got: str, expected: str) -> bool:
    loaded = json.loads(got, parse_float=Decimal), json.loads(expected, parse_float=Decimal)
    return bool(scrub(loaded[0]) == scrub(loaded[1]))


def http_answer(text: str) -> tuple[str, dict[str, str], str]:
    """Status line, headers (lower-case names) and body of `curl -i` output or its printout
    (the subprocess' text mode has already turned curl's CRLFs into newlines)."""
    head, _, body = text.strip().partition("\n\n")
    status, *header_lines = head.split("\n")
    headers = dict(line.lower().split(": ", 1) for line in header_lines)
    return status, headers, body


def assert_answer_matches_printed(
    status: str, headers: Mapping[str, str], body: str, printed: str
) -> None:
    """An HTTP answer against an `http` block: the status line, each header the block shows
    (it may leave others out), and the body as JSON, ignoring what each run generates."""
    printed_status, printed_headers, printed_body = http_answer(printed)
    assert status == printed_status
    assert {name: headers.get(name) for name in printed_headers} == printed_headers
    assert same_json(body, printed_body), body


def section(text: str, heading: str) -> str:
    """The text under a heading line, up to the next heading of the same or a higher level."""
    level = heading.split(" ")[0]
    lines = text.split("\n")
    assert heading in lines, f"docs/rest.md has no heading {heading!r}"
    start = lines.index(heading) + 1
    end = next(
        (
            index
            for index in range(start, len(lines))
            if lines[index].startswith("#") and len(lines[index].split(" ")[0]) <= len(level)
        ),
        len(lines),
    )
    return "\n".join(lines[start:end])


def table(text: str) -> list[dict[str, str]]:
    """The first Markdown table in `text`, as rows keyed by the header's column names."""
    rows = [line for line in text.split("\n") if line.startswith("|")]
    assert rows, "no table"
    header, _, *body = (split_row(row) for row in rows)
    return [dict(zip(header, row, strict=True)) for row in body]


def split_row(row: str) -> list[str]:
    cells = re.split(r"(?<!\\)\|", row.strip())[1:-1]
    return [cell.strip().replace("\\|", "|") for cell in cells]


def first_paragraph(text: str) -> str:
    return text.strip().split("\n\n")[0]


def answer_checked_by(test_file: str) -> str:
    """An answer docs/rest.md prints without a command, marked as checked by `test_file`."""
    text = (ROOT / "docs" / "rest.md").read_text()
    marker = f"<!-- checked by {test_file} -->\n"
    match = FENCE.match(text, text.index(marker) + len(marker))
    assert match, f"no block under {marker!r}"
    return match.group(2)
