"""Every command in README.md, docs/rest.md, docs/graphql.md, docs/client.md and
docs/configuration.md (curl by bash, the JavaScript examples by Node.js), run as printed against
a fresh server; its output must equal the block printed under it (ignoring generated times and
request ids). The authentication sections run against `make run AUTH=dev`, with the exports its
banner prints."""

import os
import re
import subprocess

import pytest

from tests.docs import (
    DOCUMENTED_URL,
    GENERATED_HEADERS,
    ROOT,
    Example,
    assert_answer_matches_printed,
    examples,
    http_answer,
    needs_tokens,
    same_json,
)
from tests.e2e.servers import RunningServer

CLIENT = ROOT / "clients" / "typescript"


def assert_answers_as_printed(example: Example, output: str) -> None:
    if example.language == "json":
        assert same_json(output, example.answer), f"{example.command}\n{output}"
    elif example.language == "http":
        try:
            assert_answer_matches_printed(*http_answer(output), example.answer)
        except AssertionError as failure:
            raise AssertionError(example.command) from failure
    else:
        assert output.strip() == example.answer.strip(), example.command


def command_line(example: Example, server: RunningServer) -> list[str]:
    """bash for curl; Node.js for JavaScript, as an ES module run in clients/typescript, where
    `@eventlog/client` names the built client (its package.json's name)."""
    code = example.command.replace(DOCUMENTED_URL, server.url)
    if example.runner == "node":
        assert (CLIENT / "dist" / "index.js").is_file(), "build the client first: make client"
        return ["node", "--input-type=module", "--eval", code]
    return ["bash", "-o", "pipefail", "-c", code]


def run_as_printed(examples_to_run: list[Example], server: RunningServer, **env: str) -> None:
    assert any(example.language for example in examples_to_run), "no examples"
    for example in examples_to_run:
        result = subprocess.run(
            command_line(example, server),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            env=os.environ | env,
            cwd=CLIENT if example.runner == "node" else None,
        )
        assert result.returncode == 0, f"{example.command}\n{result.stderr}"
        if example.language is not None:
            assert_answers_as_printed(example, result.stdout)


DOCUMENTS = [
    "README.md",
    "docs/rest.md",
    "docs/graphql.md",
    "docs/client.md",
    "docs/configuration.md",
]


# docs/configuration.md's examples all need tokens: the test below runs them.
@pytest.mark.parametrize("document", [d for d in DOCUMENTS if d != "docs/configuration.md"])
def test_documented_commands_answer_what_the_docs_print(
    embedded_server: RunningServer, document: str
) -> None:
    found = [example for example in examples(document) if not needs_tokens(document, example)]
    run_as_printed(found, embedded_server)


def exports(banner: list[str]) -> dict[str, str]:
    """What the dev banner tells a user to paste into their shell."""
    pasted = [line.strip().removeprefix("export ") for line in banner if "export " in line]
    return dict(line.split("=", 1) for line in pasted)


@pytest.mark.parametrize("document", ["docs/configuration.md", "docs/rest.md", "docs/client.md"])
def test_documented_authentication_answers_what_the_docs_print(
    dev_auth_server: RunningServer, document: str
) -> None:
    found = [example for example in examples(document) if needs_tokens(document, example)]
    run_as_printed(found, dev_auth_server, **exports(dev_auth_server.banner))


def test_printed_http_answers_leave_out_only_generated_headers() -> None:
    """A printed `http` answer may omit headers, but never one a client needs to see."""
    for document in DOCUMENTS:
        for example in examples(document):
            if example.language == "http":
                _, printed, _ = http_answer(example.answer)
                assert "content-type" in printed, example.command
                assert not GENERATED_HEADERS & set(printed), example.command


def test_the_readme_tour_is_covered() -> None:
    """Every command the tour shows is a block the test above runs, in the order printed, so the
    erasure's count is what a reader who ran them all sees."""
    tour = [example for example in examples("README.md") if example.section.endswith("tour")]
    assert len([example for example in tour if example.language]) == 6
    assert any("recordEvent" in example.command for example in tour)


def test_the_configuration_table_lists_every_setting() -> None:
    from gateway.settings import Settings

    text = (ROOT / "docs" / "configuration.md").read_text()
    documented = set(re.findall(r"^\| `EVENTLOG_(\w+)` \|", text, re.M))
    assert documented == {name.upper() for name in Settings.model_fields}
