"""Every command in README.md and docs/rest.md, run as printed against a fresh server; its
output must equal the block printed under it (ignoring generated times and request ids)."""

import itertools
import json
import re
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import RunningServer

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTED_URL = "http://127.0.0.1:8000"
GENERATED = {"receivedAt", "requestId", "endCursor", "startCursor", "cursor", "nextCursor"}
FENCE = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)


def examples(document: str) -> list[tuple[str, str, str]]:
    """(command, language of the expected block, expected text) for each `sh` block followed
    directly by another fenced block."""
    text = (ROOT / document).read_text()
    blocks = [
        (match.group(1), match.group(2), match.start(), match.end())
        for match in FENCE.finditer(text)
    ]
    pairs = []
    for (lang, body, _, end), (next_lang, next_body, next_start, _) in itertools.pairwise(blocks):
        if lang == "sh" and body.startswith("curl") and text[end:next_start].strip() == "":
            pairs.append((body.strip(), next_lang, next_body))
    return pairs


def scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: "<generated>" if key in GENERATED else scrub(item) for key, item in value.items()
        }
    if isinstance(value, list):
        return [scrub(item) for item in value]
    return value


@pytest.mark.parametrize("document", ["README.md", "docs/rest.md"])
def test_documented_commands_answer_what_the_docs_print(
    embedded_server: RunningServer, document: str
) -> None:
    pairs = examples(document)
    assert pairs, f"{document} has no examples"
    for command, language, expected in pairs:
        result = subprocess.run(
            ["bash", "-c", command.replace(DOCUMENTED_URL, embedded_server.url)],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        if language == "json":
            got = json.loads(result.stdout, parse_float=Decimal)
            assert scrub(got) == scrub(json.loads(expected, parse_float=Decimal)), command
        else:
            assert result.stdout.strip() == expected.strip(), command


def test_the_readme_tour_is_covered() -> None:
    assert len(examples("README.md")) == 5


def test_the_readme_configuration_table_lists_every_setting() -> None:
    from gateway.settings import Settings

    documented = set(re.findall(r"^\| `EVENTLOG_(\w+)` \|", (ROOT / "README.md").read_text(), re.M))
    assert documented == {name.upper() for name in Settings.model_fields}
