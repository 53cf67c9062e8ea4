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
AUTH_SECTIONS = {
    "docs/configuration.md": "## Trying authentication",
    "docs/rest.md": "## Authentication",
    "docs/client.md": "## Tokens",
}
# Put before a block that runs in a page: the browser test runs it, not Node.js.
IN_THE_BROWSER = "<!-- run in Chromium by tests/e2e/test_client_browser.py -->"


# The languages of printed answers; a block in any other language is not an answer.
ANSWER_LANGUAGES = {"json", "http", "text"}


@dataclass(frozen=True)
class Example:
    command: str
    language: str | None  # of the answer printed under it; None for a set-up step
    answer: str
    section: str  # the `## ` heading it is under
    runner: str = "sh"  # "sh": run by bash; "node": an ES module run by Node.js


def runner_of(language: str, body: str) -> str | None:
    """How a fenced block runs: a `sh` block that calls curl by bash, a `js` block that calls
    fetch or the client by Node.js; any other block is not an example."""
    if language == "sh" and "curl " in body:
        return "sh"
    if language == "js" and ("fetch(" in body or "@eventlog/client" in body):
        return "node"
    return None


def examples(document: str) -> list[Example]:
    """Each runnable block (curl in `sh`, fetch or the client in `js`), with the answer block
    printed directly under it."""
    text = (ROOT / document).read_text()
    blocks = [(m.group(1), m.group(2), m.start(), m.end()) for m in FENCE.finditer(text)]
    found = []
    for index, (lang, body, start, end) in enumerate(blocks):
        runner = runner_of(lang, body)
        if runner is None or text[:start].rstrip().endswith(IN_THE_BROWSER):
            continue
        headings = re.findall(r"^## .*$", text[:start], re.MULTILINE)
        heading = headings[-1] if headings else ""
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        if (
            following
            and following[0] in ANSWER_LANGUAGES
            and text[end : following[2]].strip() == ""
        ):
            found.append(Example(body.strip(), following[0], following[1], heading, runner))
        else:
            found.append(Example(body.strip(), None, "", heading, runner))
    return found


def browser_blocks(document: str) -> list[tuple[str, str]]:
    """The blocks marked to run in a page, as (language, text), in document order."""
    text = (ROOT / document).read_text()
    return [
        (match.group(1), match.group(2))
        for match in FENCE.finditer(text)
        if text[: match.start()].rstrip().endswith(IN_THE_BROWSER)
    ]


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
