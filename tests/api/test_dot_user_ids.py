"""A userId of `.` or `..` cannot be a URL's path segment, so no door records a new event under it;
other ids made of dots are ordinary, and reads still take the two (for events stored before)."""

import pytest
from fastapi.testclient import TestClient

from tests.factories import make_event

GRAPHQL_RECORD = """
mutation Batch($inputs: [RecordEventInput!]!) {
  recordEvents(inputs: $inputs) { outcome code errors { field code } }
}
"""
GRAPHQL_READ = "query R($u: String!) { events(userId: $u, first: 5) { edges { cursor } } }"


@pytest.mark.parametrize("user_id", [".", ".."])
def test_a_new_event_for_dot_or_dot_dot_is_422_naming_user_id_at_every_door(
    client: TestClient, user_id: str
) -> None:
    single = client.post("/events", json=make_event(userId=user_id))
    assert single.status_code == 422
    assert [(e["field"], e["code"]) for e in single.json()["errors"]] == [("userId", "dot_segment")]
    batch = client.post("/events/batch", json={"events": [make_event(userId=user_id)]})
    assert batch.status_code == 200
    (fate,) = batch.json()["results"]
    assert fate["outcome"] == "invalid"
    assert [e["field"] for e in fate["problem"]["errors"]] == ["userId"]
    graph = client.post(
        "/graphql",
        json={"query": GRAPHQL_RECORD, "variables": {"inputs": [make_event(userId=user_id)]}},
    ).json()
    assert graph["data"]["recordEvents"] == [
        {
            "outcome": "INVALID",
            "code": "BAD_USER_INPUT",
            "errors": [{"field": "userId", "code": "dot_segment"}],
        }
    ]


@pytest.mark.parametrize("user_id", ["...", ".a", "a.", "..b", ".-."])
def test_other_ids_of_dots_are_recorded_and_read_back_by_url(
    client: TestClient, user_id: str
) -> None:
    created = client.post("/events", json=make_event(userId=user_id))
    assert created.status_code == 201, created.text
    page = client.get(f"/events/{user_id}")
    assert page.status_code == 200
    assert created.json()["eventId"] in [event["eventId"] for event in page.json()["events"]]


@pytest.mark.parametrize("user_id", [".", ".."])
def test_graphql_still_reads_dot_and_dot_dot(client: TestClient, user_id: str) -> None:
    answer = client.post("/graphql", json={"query": GRAPHQL_READ, "variables": {"u": user_id}})
    assert answer.json() == {"data": {"events": {"edges": []}}}


def test_the_openapi_body_schema_excludes_dot_and_dot_dot(client: TestClient) -> None:
    post = client.get("/openapi.json").json()["paths"]["/events"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    user_id = body["properties"]["userId"]
    assert user_id["not"] == {"enum": [".", ".."]}
