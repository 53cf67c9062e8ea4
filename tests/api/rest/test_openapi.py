"""The machine-readable contract (/openapi.json, /docs, /redoc) says what docs/rest.md says.

docs/rest.md's examples are executed (tests/e2e/test_docs_examples.py); these tests hold the
OpenAPI description to the same text: summaries, descriptions, every status with its meaning,
every field with its type, rules and example, and problem examples of kinds rest.md shows.
"""

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway.rest.openapi import RECORD_EXAMPLES
from scripts.export_schema import OPENAPI_FILE, exported_openapi
from tests.docs import FENCE, ROOT, first_paragraph, http_answer, section, table
from tests.remote import REMOTE_BASE_URL

REST_MD = (ROOT / "docs" / "rest.md").read_text()


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return json.loads(exported_openapi())


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, by_method in spec["paths"].items()
        for method, operation in by_method.items()
    ]


def endpoint_section(method: str, path: str, summary: str) -> str:
    return section(REST_MD, f"## {method} {path} — {summary}")


def test_every_operation_has_its_rest_md_section_with_the_same_text(
    spec: dict[str, Any],
) -> None:
    for method, path, operation in operations(spec):
        text = endpoint_section(method, path, operation["summary"])
        assert first_paragraph(text) == operation["description"], (method, path)
        documented = {
            int(row["status"].strip("`").split()[0]): row["when"]
            for row in table(section(text, "### Responses"))
        }
        described = {
            int(status): response["description"]
            for status, response in operation["responses"].items()
        }
        assert documented == described, (method, path)


def test_every_error_answer_is_a_problem_with_an_example(spec: dict[str, Any]) -> None:
    for method, path, operation in operations(spec):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert list(response["content"]) == ["application/problem+json"], (method, path)
                content = response["content"]["application/problem+json"]
                assert content["schema"]["$ref"]
                assert content["example"]["status"] == int(status), (method, path)


def test_problem_examples_are_kinds_rest_md_shows_answered(spec: dict[str, Any]) -> None:
    """The OpenAPI examples are rendered by the answering code; rest.md's are executed. Each
    kind the OpenAPI shows must appear among rest.md's answers with the same title and status
    (500 excepted: no example can make the server fail)."""
    printed = {
        (problem["type"], problem["title"], problem["status"])
        for problem in (printed_json(lang, body) for lang, body in FENCE.findall(REST_MD))
        if isinstance(problem, dict) and "type" in problem
    }
    shown = {
        (example["type"], example["title"], example["status"])
        for _, _, operation in operations(spec)
        for status, response in operation["responses"].items()
        if int(status) >= 400 and status != "500"
        for example in [response["content"]["application/problem+json"]["example"]]
    }
    assert shown <= printed, shown - printed


def printed_json(language: str, body: str) -> Any:
    if language == "http":
        body = http_answer(body)[2]
    elif language != "json":
        return None
    return json.loads(body)


def schema_type(schema: dict[str, Any], spec: dict[str, Any], *, optional: bool) -> str:
    """A field's type as rest.md writes it: `string (uuid)`, `array of Event`, `... or null`."""
    if "$ref" in schema:
        return str(schema["$ref"].rsplit("/", 1)[1])
    if "anyOf" in schema:
        kinds = [kind for kind in schema["anyOf"] if kind.get("type") != "null"]
        (kind,) = kinds
        shown = schema_type(kind, spec, optional=optional)
        return shown if optional else f"{shown} or null"
    if schema.get("type") == "array":
        return "array of " + schema_type(schema["items"], spec, optional=optional)
    kind = str(schema["type"])
    return f"{kind} ({schema['format']})" if "format" in schema else kind


def example_cell(cell: str) -> Any:
    return json.loads(cell.strip("`")) if cell else None


def assert_table_matches(
    rows: list[dict[str, str]],
    fields: dict[str, dict[str, Any]],
    required: set[str],
    spec: dict[str, Any],
) -> None:
    """Names in order, and each column the table has: type, required, default, rules, example."""
    name_column = "field" if "field" in rows[0] else "parameter"
    assert [row[name_column].strip("`") for row in rows] == list(fields)
    for row in rows:
        name = row[name_column].strip("`")
        schema = fields[name]
        optional = "required" in row or "default" in row
        assert row["type"] == schema_type(schema, spec, optional=optional), name
        assert row["rules"] == schema.get("description", ""), name
        assert example_cell(row["example"]) == next(iter(schema.get("examples", [])), None), name
        if "required" in row:
            assert row["required"] == ("yes" if name in required else "no"), name
        if "default" in row:
            shown = row["default"].strip("`")
            assert shown == ("none" if schema.get("default") is None else str(schema["default"]))


def component(spec: dict[str, Any], name: str) -> dict[str, Any]:
    return dict(spec["components"]["schemas"][name])


def parameters(operation: dict[str, Any], where: str) -> dict[str, dict[str, Any]]:
    return {
        parameter["name"]: parameter["schema"] | {"description": parameter.get("description", "")}
        for parameter in operation["parameters"]
        if parameter["in"] == where
    }


def test_the_field_tables_match_the_schemas(spec: dict[str, Any]) -> None:
    post = spec["paths"]["/events"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    post_text = endpoint_section("POST", "/events", post["summary"])
    assert_table_matches(
        table(section(post_text, "### Body")), body["properties"], set(body["required"]), spec
    )

    event = component(spec, "Event")
    assert_table_matches(
        table(section(REST_MD, "## The Event")), event["properties"], set(event["required"]), spec
    )

    listing = spec["paths"]["/events/{userId}"]["get"]
    listing_text = endpoint_section("GET", "/events/{userId}", listing["summary"])
    for heading, where in (("### Path parameters", "path"), ("### Query parameters", "query")):
        fields = parameters(listing, where)
        assert_table_matches(table(section(listing_text, heading)), fields, set(), spec)
    page = component(spec, "EventPage")
    assert_table_matches(
        table(section(listing_text, "### Response")), page["properties"], set(), spec
    )

    one = spec["paths"]["/events/{userId}/{eventId}"]["get"]
    one_text = endpoint_section("GET", "/events/{userId}/{eventId}", one["summary"])
    fields = parameters(one, "path")
    assert_table_matches(table(section(one_text, "### Path parameters")), fields, set(), spec)


def test_the_post_body_schema_states_the_rules(spec: dict[str, Any]) -> None:
    body = spec["paths"]["/events"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["userId", "eventType"]
    assert body["additionalProperties"] is False
    assert body["properties"]["userId"]["pattern"] == "^[A-Za-z0-9._:@+|=-]{1,128}$"


@pytest.mark.parametrize("name", sorted(RECORD_EXAMPLES))
def test_each_request_example_in_the_openapi_records_an_event(
    client: TestClient, spec: dict[str, Any], name: str
) -> None:
    content = spec["paths"]["/events"]["post"]["requestBody"]["content"]["application/json"]
    example = content["examples"][name]["value"]
    answer = client.post("/events", json=example)
    # A shared server (`make test-remote`) may hold the example already: then it is a replay.
    assert answer.status_code in ({200, 201} if REMOTE_BASE_URL else {201}), answer.text
    assert {key: answer.json()[key] for key in ("userId", "eventType")} == {
        "userId": example["userId"],
        "eventType": example["eventType"],
    }


def test_the_served_openapi_is_the_exported_file(client: TestClient) -> None:
    """docs/openapi.json is what the server publishes; `make schema` rewrites it."""
    assert client.get("/openapi.json").json() == json.loads(OPENAPI_FILE.read_text())


def test_the_interactive_docs_are_served(client: TestClient) -> None:
    assert "swagger-ui" in client.get("/docs").text
    assert "redoc" in client.get("/redoc").text
