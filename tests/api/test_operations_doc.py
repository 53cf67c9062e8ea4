"""docs/operations.md against the code: every alarm of template.yaml has its section, every metric
its table names is one the code emits (and every metric the code emits is there), and every
CloudWatch Logs Insights query parses (commands, brackets, quotes) and reads only fields our log
lines carry, as they are written by the app, its EMF sink and the reconcile job."""

import dataclasses
import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import TracerProvider

from gateway.app import create_app
from gateway.metrics import EmfSink
from gateway.observability import access_logger, configure_logging
from gateway.resolvers.reconcile import Summary
from gateway.settings import Settings
from persistence.metric_catalogue import CATALOGUE, Kind
from persistence.telemetry import Telemetry
from tests.api.conftest import FlakyDynamoDB
from tests.docs import ROOT
from tests.factories import make_event
from tests.integration.test_alarm_metrics import emitted_names
from tests.integration.test_deployment_files import template

DOC = (ROOT / "docs" / "operations.md").read_text()
COMMANDS = {"fields", "filter", "stats", "sort", "limit", "parse", "display", "dedup"}
WORDS = {
    "and", "or", "not", "in", "like", "by", "as", "asc", "desc", "count", "pct", "avg", "sum",
    "min", "max", "bin", "ispresent", "isempty", "strlen", "concat", "earliest", "latest",
}  # fmt: skip
BUILT_IN = {"@timestamp", "@message", "@logStream", "@log", "@requestId"}


def queries() -> list[str]:
    return re.findall(r"```logsinsights\n(.*?)```", DOC, re.S)


def section(heading: str) -> str:
    return DOC.split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0]


def test_every_alarm_of_the_template_has_its_section() -> None:
    alarms = {
        name
        for name, resource in template()["Resources"].items()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
    }
    documented = set(re.findall(r"^### (\w+Alarm)$", section("## Alarms"), re.M))
    assert alarms <= documented
    for name in alarms:
        text = section("## Alarms").split(f"### {name}\n", 1)[1].split("\n### ", 1)[0]
        assert "**Means**" in text and "**Confirm**" in text and "**Do**" in text, name


def test_the_metrics_table_is_the_catalogue() -> None:
    rows = [
        line.split("|")[1:3]
        for line in section("### Metrics").splitlines()
        if line.startswith("| `")
    ]
    prometheus = {name for cell, _ in rows for name in re.findall(r"`([^`]+)`", cell)}
    expected = {
        f"eventlog_{m.name}" + ("_total" if m.kind is Kind.COUNTER else "") for m in CATALOGUE
    }
    assert prometheus == expected
    cloudwatch = {name for _, cell in rows for name in re.findall(r"`([^`]+)`", cell)}
    templates = {pattern for metric in CATALOGUE for pattern in metric.cloudwatch}
    for name in cloudwatch:
        assert name in templates or name in emitted_names(), name
    assert {"Responses2xx", "Responses5xx"} <= cloudwatch | emitted_names()


def split_commands(query: str) -> list[str]:
    """The query's commands: split at `|` outside strings and regular expressions."""
    commands, current, quote = [], "", ""
    for char in query:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'/":
            quote = char
        elif char == "|":
            commands.append(current.strip())
            current = ""
            continue
        current += char
    assert not quote, f"unclosed {quote} in {query!r}"
    return [*commands, current.strip()]


def fields_read(command: str, aliases: set[str]) -> set[str]:
    """The log fields a command reads (its aliases, `as x`, are added to `aliases`)."""
    text = re.sub(r'"[^"]*"|/[^/]*/', " ", command)
    assert text.count("(") == text.count(")") and text.count("[") == text.count("]"), command
    aliases |= set(re.findall(r"\bas (\w+)", text))
    text = re.sub(r"\bas \w+", " ", text)
    tokens = re.findall(
        r"(?<![\w.@])@?[A-Za-z_][\w.]*", text.split(None, 1)[1] if " " in text else ""
    )
    return {
        token
        for token in tokens
        if token not in WORDS and token not in aliases and not re.fullmatch(r"\d+[smhd]", token)
    }


def flattened(line: dict[str, Any], prefix: str = "") -> set[str]:
    """A JSON line's fields as Logs Insights names them (nested ones with dots)."""
    names = set()
    for key, value in line.items():
        names.add(prefix + key)
        if isinstance(value, dict):
            names |= flattened(value, prefix + key + ".")
    return names


@pytest.fixture
def logged_fields(settings: Settings, flaky_dynamodb: Any) -> Iterator[set[str]]:
    """Every field of the lines the app writes for a 201 and a 503 (traced, with EMF), and of
    the reconcile job's summary line."""
    root, saved, level = logging.getLogger(), logging.getLogger().handlers[:], logging.root.level
    saved_access = access_logger.handlers[:], access_logger.propagate
    lines, emf = io.StringIO(), io.StringIO()
    configure_logging("INFO", lines)
    try:
        flaky: FlakyDynamoDB = flaky_dynamodb({"UpdateItem"})
        flaky.down = False
        telemetry = Telemetry(EmfSink(emf), TracerProvider().get_tracer("test"))
        settings = settings.model_copy(update={"dynamodb_endpoint": flaky.url})
        with TestClient(create_app(settings, telemetry=telemetry)) as client:
            assert client.post("/events", json=make_event()).status_code == 201
            flaky.down = True
            assert client.post("/events", json=make_event()).status_code == 503
        logging.getLogger("gateway.reconcile").info(
            "reconcile finished",
            extra={"summary": dataclasses.asdict(Summary(applied=False, grace_seconds=900))},
        )
    finally:
        root.handlers[:] = saved
        root.setLevel(level)
        access_logger.handlers[:], access_logger.propagate = saved_access
    found: set[str] = set()
    for text in (lines.getvalue() + emf.getvalue()).splitlines():
        found |= flattened(json.loads(text))
    yield found


def test_every_logs_insights_query_parses_and_reads_fields_our_lines_carry(
    logged_fields: set[str],
) -> None:
    assert {"request_id", "trace_id", "duration_ms", "Responses5xx", "summary.orphans"} <= (
        logged_fields
    )
    assert len(queries()) >= 8
    for query in queries():
        aliases: set[str] = set()
        for command in split_commands(query.strip()):
            assert command.split()[0] in COMMANDS, (query, command)
            read = fields_read(command, aliases)
            assert read <= logged_fields | BUILT_IN, (command, read - logged_fields)
