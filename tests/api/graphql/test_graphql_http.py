"""GraphQL over HTTP (graphql/graphql-over-http): what /graphql answers to each kind of request,
well-formed or not, in the media type the client accepts. Every answer is a GraphQL response."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.graphql.graphql_client import ACCEPT
from tests.factories import unique_user

GRAPHQL_RESPONSE = "application/graphql-response+json; charset=utf-8"
JSON = "application/json; charset=utf-8"


def refused(code: str, message: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


NOT_AN_OBJECT = refused("BAD_REQUEST", "The body must be a JSON object with a `query`.")
NOT_JSON = refused("BAD_REQUEST", "The body is not a JSON document.")
NO_QUERY = refused("BAD_REQUEST", "No GraphQL query: give `query`, the document to run.")
MEDIA_TYPE = refused(
    "UNSUPPORTED_MEDIA_TYPE", "Send the request as `Content-Type: application/json` (UTF-8)."
)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("content_type", "body", "status", "answer"),
    [
        ("application/json", '"{ __typename }"', 400, NOT_AN_OBJECT),
        ("application/json", "12", 400, NOT_AN_OBJECT),
        ("application/json", "true", 400, NOT_AN_OBJECT),
        ("application/json", "null", 400, NOT_AN_OBJECT),
        (
            "application/json",
            '[{"query": "{ __typename }"}]',
            400,
            refused("BAD_REQUEST", "Batches are not supported: send one operation per request."),
        ),
        ("application/json", '{"query": ', 400, NOT_JSON),
        ("application/json", "", 400, NOT_JSON),
        ("application/json", b"\xff\xfe{}", 400, NOT_JSON),
        ("application/json", "{}", 400, NO_QUERY),
        (
            "application/json",
            '{"query": "{ __typename }", "query": "{ nope }"}',
            400,
            refused("BAD_REQUEST", "A key is repeated, which leaves its value unclear: query."),
        ),
        ("application/json", '{"query": null}', 400, NO_QUERY),
        (
            "application/json",
            '{"query": 1}',
            400,
            refused("BAD_REQUEST", "`query` must be a string or null."),
        ),
        (
            "application/json",
            '{"query": "{ __typename }", "variables": [7]}',
            400,
            refused("BAD_REQUEST", "`variables` must be an object or null."),
        ),
        (
            "application/json",
            '{"query": "{ __typename }", "operationName": {}}',
            400,
            refused("BAD_REQUEST", "`operationName` must be a string or null."),
        ),
        (
            "application/json",
            '{"query": "{ __typename }", "extensions": "x"}',
            400,
            refused("BAD_REQUEST", "`extensions` must be an object or null."),
        ),
        (
            "application/json",
            '{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "ab"}}}',
            400,
            refused("PERSISTED_QUERY_NOT_SUPPORTED", "PersistedQueryNotSupported"),
        ),
        ("text/plain", '{"query": "{ __typename }"}', 415, MEDIA_TYPE),
        (None, '{"query": "{ __typename }"}', 415, MEDIA_TYPE),
        ("application/graphql", "{ __typename }", 415, MEDIA_TYPE),
        ("application/json; charset=latin-1", '{"query": "{ __typename }"}', 415, MEDIA_TYPE),
    ],
)
@pytest.mark.parametrize(
    ("accept", "media_type"), [(ACCEPT, GRAPHQL_RESPONSE), ("application/json", JSON)]
)
def test_a_post_that_is_not_a_graphql_request_is_refused_with_a_graphql_error(
    client: TestClient,
    content_type: str | None,
    body: str | bytes,
    status: int,
    answer: dict[str, Any],
    accept: str,
    media_type: str,
) -> None:
    headers = {"accept": accept} | ({"content-type": content_type} if content_type else {})
    response = client.post("/graphql", content=body, headers=headers)
    assert (response.status_code, response.json()) == (status, answer)
    assert response.headers["content-type"] == media_type


def test_a_json_charset_of_utf_8_is_accepted(client: TestClient) -> None:
    response = client.post(
        "/graphql",
        content='{"query": "{ __typename }"}',
        headers={"content-type": "application/json; charset=UTF-8"},
    )
    assert (response.status_code, response.json()) == (200, {"data": {"__typename": "Query"}})


PARSE_ERROR = {
    "errors": [
        {
            "message": "Syntax Error: Unexpected <EOF>.",
            "locations": [{"line": 1, "column": 1}],
            "extensions": {"code": "GRAPHQL_PARSE_FAILED"},
        }
    ]
}


@pytest.mark.parametrize(
    ("request_body", "answer"),
    [
        ({"query": ""}, PARSE_ERROR),
        (
            {"query": "{ events(userId: "},
            {
                "errors": [
                    {
                        "message": "Syntax Error: Unexpected <EOF>.",
                        "locations": [{"line": 1, "column": 18}],
                        "extensions": {"code": "GRAPHQL_PARSE_FAILED"},
                    }
                ]
            },
        ),
        (
            {"query": "{ nope }"},
            {
                "errors": [
                    {
                        "message": "Cannot query field 'nope' on type 'Query'.",
                        "locations": [{"line": 1, "column": 3}],
                        "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
                    }
                ]
            },
        ),
        (
            {"query": "query($u: String!) { events(userId: $u) { nodes { eventId } } }"},
            {
                "errors": [
                    {
                        "message": (
                            "Variable '$u' has invalid value: "
                            "Expected a value of non-null type 'String!' to be provided."
                        ),
                        "locations": [{"line": 1, "column": 7}],
                        "extensions": {"code": "BAD_USER_INPUT"},
                    }
                ]
            },
        ),
        (
            {"query": "query A { __typename } query B { __typename }"},
            {
                "errors": [
                    {
                        "message": (
                            "Must provide operation name if query contains multiple operations."
                        ),
                        "extensions": {"code": "OPERATION_RESOLUTION_FAILURE"},
                    }
                ]
            },
        ),
        (
            {"query": "query A { __typename }", "operationName": "B"},
            {
                "errors": [
                    {
                        "message": 'Unknown operation named "B".',
                        "extensions": {"code": "OPERATION_RESOLUTION_FAILURE"},
                    }
                ]
            },
        ),
    ],
)
def test_a_request_error_has_no_data_and_its_status_follows_the_media_type(
    client: TestClient, request_body: dict[str, Any], answer: dict[str, Any]
) -> None:
    """400 as application/graphql-response+json; 200 as application/json, whose clients cannot
    tell a GraphQL answer from a proxy's error page by any other status."""
    modern = client.post("/graphql", json=request_body, headers={"accept": ACCEPT})
    assert (modern.status_code, modern.json()) == (400, answer)
    assert modern.headers["content-type"] == GRAPHQL_RESPONSE
    legacy = client.post("/graphql", json=request_body, headers={"accept": "application/json"})
    assert (legacy.status_code, legacy.json()) == (200, answer)
    assert legacy.headers["content-type"] == JSON


@pytest.mark.slow
@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (None, GRAPHQL_RESPONSE),
        ("*/*", GRAPHQL_RESPONSE),
        ("application/*", GRAPHQL_RESPONSE),
        ("application/graphql-response+json", GRAPHQL_RESPONSE),
        ("application/json", JSON),
        ("application/json, application/graphql-response+json;q=0.9", JSON),
        ("application/graphql-response+json;q=0.5, application/json;q=0.4", GRAPHQL_RESPONSE),
        ("text/html, */*;q=0.1", GRAPHQL_RESPONSE),
        ("application/json, application/graphql-response+json;q=0", JSON),
    ],
)
def test_the_answer_is_in_the_media_type_the_client_prefers(
    client: TestClient, accept: str | None, media_type: str
) -> None:
    headers = {"accept": accept} if accept is not None else {}
    response = client.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
    if accept is None:
        # httpx sends `Accept: */*` unless told otherwise: remove it to send none at all.
        request = client.build_request("POST", "/graphql", json={"query": "{ __typename }"})
        del request.headers["accept"]
        response = client.send(request)
    assert (response.status_code, response.json()) == (200, {"data": {"__typename": "Query"}})
    assert response.headers["content-type"] == media_type
    assert response.headers["vary"] == "Accept"


@pytest.mark.parametrize("accept", ["text/plain", "application/xml", "application/json;q=0"])
def test_a_client_that_accepts_neither_json_type_gets_406(client: TestClient, accept: str) -> None:
    response = client.post("/graphql", json={"query": "{ __typename }"}, headers={"accept": accept})
    assert response.status_code == 406
    assert response.json() == refused(
        "NOT_ACCEPTABLE", "Accept application/graphql-response+json or application/json."
    )
    assert response.headers["content-type"] == JSON


def test_queries_run_over_get_with_variables(client: TestClient) -> None:
    user = unique_user()
    client.post("/events", json={"userId": user, "eventType": "click"})
    response = client.get(
        "/graphql",
        params={
            "query": "query Q($u: String!) { events(userId: $u) { nodes { eventType } } }",
            "variables": f'{{"u": "{user}"}}',
            "operationName": "Q",
        },
        headers={"accept": ACCEPT},
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"events": {"nodes": [{"eventType": "click"}]}}}


def test_a_mutation_over_get_is_405_and_records_nothing(client: TestClient) -> None:
    user = unique_user()
    mutation = (
        f'mutation {{ recordEvent(input: {{userId: "{user}", eventType: "e"}}) {{ outcome }} }}'
    )
    response = client.get("/graphql", params={"query": mutation}, headers={"accept": ACCEPT})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    assert response.json() == refused(
        "METHOD_NOT_ALLOWED", "Only queries may be sent with GET: send mutations with POST."
    )
    assert client.get(f"/events/{user}").json()["events"] == []


@pytest.mark.parametrize(
    ("params", "answer"),
    [
        (
            [("query", "{ __typename }"), ("query", "{ nope }")],
            refused("BAD_REQUEST", "`query` is given 2 times; give it once."),
        ),
        (
            [("query", "{ __typename }"), ("variables", "{not json")],
            refused("BAD_REQUEST", "`variables` must be a JSON object."),
        ),
        (
            [("query", "{ __typename }"), ("variables", "[1]")],
            refused("BAD_REQUEST", "`variables` must be an object or null."),
        ),
        ([("variables", "{}")], NO_QUERY),
    ],
)
def test_a_get_that_is_not_a_graphql_request_is_400(
    client: TestClient, params: list[tuple[str, str]], answer: dict[str, Any]
) -> None:
    response = client.get("/graphql", params=params, headers={"accept": "application/json"})
    assert (response.status_code, response.json()) == (400, answer)


def test_graphiql_is_still_the_page_a_browser_gets(client: TestClient) -> None:
    page = client.get("/graphql", headers={"accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "graphiql" in page.text.lower()


@pytest.mark.parametrize(
    ("accept", "status", "media"),
    [
        ("*/*", 200, "text/html"),
        ("text/html", 200, "text/html"),
        ("application/json", 400, "application/json"),
        (None, 400, GRAPHQL_RESPONSE),
    ],
)
def test_a_get_without_query_is_graphiql_only_for_a_client_that_accepts_html(
    client: TestClient, accept: str | None, status: int, media: str
) -> None:
    """docs/graphql.md: text/html or */* (curl's default) get GraphiQL; JSON or no Accept, a
    BAD_REQUEST naming the missing `query`."""
    headers = {"accept": accept} if accept else {}
    if accept is None:
        client.headers.pop("accept", None)
    response = client.get("/graphql", headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"].startswith(media)
    if status == 400:
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
