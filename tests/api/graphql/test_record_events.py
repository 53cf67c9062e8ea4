"""recordEvents over HTTP: the same outcomes as POST /events/batch for the same events, the
fates as data, and the access rule per input."""

import uuid
from typing import Any

from fastapi.testclient import TestClient

from gateway.auth.dev_issuer import LocalIssuer
from tests.auth import bearer
from tests.factories import make_event, unique_user

RECORD_EVENTS = """
mutation Batch($inputs: [RecordEventInput!]!) {
  recordEvents(inputs: $inputs) {
    index outcome code message errors { field message code }
    event { eventId userId eventType timestamp details }
  }
}
"""


def through_graphql(client: TestClient, inputs: list[dict[str, Any]], **headers: str) -> Any:
    response = client.post(
        "/graphql", json={"query": RECORD_EVENTS, "variables": {"inputs": inputs}}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_record_events_answers_what_the_rest_batch_answers_for_the_same_events(
    client: TestClient,
) -> None:
    user = unique_user()
    stored = make_event(userId=user, eventId=str(uuid.uuid4()))
    client.post("/events", json=stored)

    def events() -> list[dict[str, Any]]:
        return [
            make_event(userId=user, eventId=str(uuid.uuid4()), timestamp="2026-11-24T10:00:00Z"),
            stored,
            stored | {"eventType": "other"},
            {"userId": user, "eventType": "bad type"},
        ]

    rest = client.post("/events/batch", json={"events": events()}).json()["results"]
    graph = through_graphql(client, events())["data"]["recordEvents"]
    assert [r["outcome"].upper() for r in rest] == [g["outcome"] for g in graph]
    assert [g["outcome"] for g in graph] == ["CREATED", "REPLAYED", "CONFLICT", "INVALID"]
    assert graph[1]["event"]["eventId"] == stored["eventId"]
    assert graph[1]["event"]["details"] == stored["details"]
    assert (graph[2]["code"], graph[3]["code"]) == ("CONFLICT", "BAD_USER_INPUT")
    assert graph[3]["errors"] == rest[3]["problem"]["errors"]
    assert graph[3]["message"] == "Invalid input: eventType"
    assert graph[0]["event"] is not None and graph[2]["event"] is None


def test_an_empty_or_oversized_list_is_a_field_error_naming_inputs(client: TestClient) -> None:
    answer = through_graphql(client, [])
    (error,) = answer["errors"]
    assert answer["data"] == {"recordEvents": None}
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["errors"] == [
        {
            "field": "inputs",
            "message": "a batch holds 1 to 500 events; this one holds 0",
            "code": "too_short",
        }
    ]
    many = [make_event() for _ in range(501)]
    assert through_graphql(client, many)["errors"][0]["extensions"]["errors"][0]["code"] == (
        "too_long"
    )


def test_an_input_the_token_may_not_record_is_forbidden_and_the_others_stored(
    auth_client: TestClient, issuer: LocalIssuer
) -> None:
    user = unique_user()
    own = bearer(issuer.token(user))
    inputs = [make_event(userId=user), make_event(userId="someone-else")]
    graph = through_graphql(auth_client, inputs, **own)["data"]["recordEvents"]
    assert [(g["outcome"], g["code"]) for g in graph] == [
        ("CREATED", None),
        ("FORBIDDEN", "FORBIDDEN"),
    ]
    page = auth_client.get(f"/events/{user}", headers=own).json()["events"]
    assert len(page) == 1


def test_without_a_token_the_mutation_is_unauthenticated_and_records_nothing(
    auth_client: TestClient, issuer: LocalIssuer
) -> None:
    user = unique_user()
    answer = through_graphql(auth_client, [make_event(userId=user)])
    assert answer["data"] == {"recordEvents": None}
    assert answer["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    own = bearer(issuer.token(user))
    assert auth_client.get(f"/events/{user}", headers=own).json()["events"] == []
