"""GraphQL with authentication on: the same rules as REST. Without a token the request runs and
each operation answers UNAUTHENTICATED (introspection stays open); a token that cannot be
accepted refuses the whole request with 401; another user's events are FORBIDDEN."""

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway.auth.dev_issuer import LocalIssuer
from tests.api.graphql.graphql_client import EVENTS, RECORD, error_codes, graphql
from tests.auth import bearer
from tests.factories import make_event, unique_user

ONE = """
query One($userId: String!, $eventId: ID!) { event(userId: $userId, eventId: $eventId) { eventId } }
"""


class As:
    """A GraphQL client sending one token (or none)."""

    def __init__(self, client: TestClient, token: str | None = None) -> None:
        self.client = client
        self.headers = bearer(token) if token else {}

    def post(self, path: str, json: dict[str, Any]) -> Any:
        return self.client.post(path, json=json, headers=self.headers)


@pytest.mark.slow
def test_without_a_token_operations_are_unauthenticated_and_introspection_is_open(
    auth_client: TestClient,
) -> None:
    anonymous = As(auth_client)
    recorded = graphql(anonymous, RECORD, input=make_event(userId="user-42"))
    assert recorded["data"] == {"recordEvent": None}
    assert recorded["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert recorded["errors"][0]["message"] == (
        "This operation needs a token: send Authorization: Bearer <token>."
    )
    assert error_codes(graphql(anonymous, EVENTS, userId="user-42")) == ["UNAUTHENTICATED"]
    # Before anything about the request is judged: a bad `first`, a malformed userId.
    assert error_codes(graphql(anonymous, EVENTS, userId="user-42", first=0)) == ["UNAUTHENTICATED"]
    one = graphql(anonymous, ONE, userId="no spaces", eventId="x")
    assert error_codes(one) == ["UNAUTHENTICATED"]
    schema = graphql(anonymous, "{ __schema { queryType { name } mutationType { name } } }")
    assert schema == {
        "data": {"__schema": {"queryType": {"name": "Query"}, "mutationType": {"name": "Mutation"}}}
    }


def test_a_token_that_cannot_be_accepted_refuses_the_whole_request_with_401(
    auth_client: TestClient, issuer: LocalIssuer
) -> None:
    expired = issuer.token("user-42", lifetime_seconds=-300)
    for query in ("{ __typename }", EVENTS):
        answer = auth_client.post(
            "/graphql",
            json={"query": query, "variables": {"userId": "user-42"}},
            headers=bearer(expired),
        )
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"] == (
            'Bearer realm="eventlog", error="invalid_token", '
            'error_description="The token has expired."'
        )
        assert answer.json() == {
            "errors": [
                {"message": "The token has expired.", "extensions": {"code": "UNAUTHENTICATED"}}
            ]
        }


def test_a_user_records_and_reads_their_own_events(
    auth_client: TestClient, issuer: LocalIssuer
) -> None:
    user = unique_user()
    own = As(auth_client, issuer.token(user))
    created = graphql(own, RECORD, input=make_event(userId=user))["data"]["recordEvent"]
    assert created["outcome"] == "CREATED"
    edges = graphql(own, EVENTS, userId=user)["data"]["events"]["edges"]
    assert [edge["node"] for edge in edges] == [created["event"]]
    one = graphql(own, ONE, userId=user, eventId=created["event"]["eventId"])
    assert one == {"data": {"event": {"eventId": created["event"]["eventId"]}}}
    assert graphql(own, ONE, userId=user, eventId=str(uuid.uuid4())) == {"data": {"event": None}}


def test_another_users_events_are_forbidden_whether_or_not_they_exist(
    auth_client: TestClient, issuer: LocalIssuer
) -> None:
    owner = unique_user()
    event_id = graphql(
        As(auth_client, issuer.token(owner)), RECORD, input=make_event(userId=owner)
    )["data"]["recordEvent"]["event"]["eventId"]
    stranger = As(auth_client, issuer.token(unique_user()))
    for event in (event_id, str(uuid.uuid4())):
        result = graphql(stranger, ONE, userId=owner, eventId=event)
        assert result["data"] == {"event": None}
        assert result["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
        assert result["errors"][0]["message"] == (
            f"This token may not read the events of user {owner!r}: only that user's own token "
            "may, or one with the scope events:read."
        )
    assert error_codes(graphql(stranger, EVENTS, userId=owner)) == ["FORBIDDEN"]
    recorded = graphql(stranger, RECORD, input=make_event(userId=owner))
    assert error_codes(recorded) == ["FORBIDDEN"]


def test_a_forbidden_field_leaves_the_allowed_ones_answered(
    auth_client: TestClient, issuer: LocalIssuer
) -> None:
    """Access is decided field by field, as GraphQL over HTTP asks: a partial answer."""
    user = unique_user()
    own = As(auth_client, issuer.token(user))
    event_id = graphql(own, RECORD, input=make_event(userId=user))["data"]["recordEvent"]["event"][
        "eventId"
    ]
    query = (
        "query($mine: String!, $theirs: String!, $id: ID!) {"
        " mine: event(userId: $mine, eventId: $id) { eventId }"
        " theirs: event(userId: $theirs, eventId: $id) { eventId } }"
    )
    result = graphql(own, query, mine=user, theirs="user-7", id=event_id)
    assert result["data"] == {"mine": {"eventId": event_id}, "theirs": None}
    assert [(error["path"], error["extensions"]) for error in result["errors"]] == [
        (["theirs"], {"code": "FORBIDDEN"})
    ]


def test_scopes_extend_one_action_to_every_user(
    auth_client: TestClient, issuer: LocalIssuer
) -> None:
    user = unique_user()
    forwarder = As(auth_client, issuer.token("ingest-service", ["events:write"]))
    analyst = As(auth_client, issuer.token("analyst", ["events:read"]))
    created = graphql(forwarder, RECORD, input=make_event(userId=user))["data"]["recordEvent"]
    assert created["outcome"] == "CREATED"
    assert error_codes(graphql(forwarder, EVENTS, userId=user)) == ["FORBIDDEN"]
    nodes = graphql(analyst, EVENTS, userId=user)["data"]["events"]["edges"]
    assert [edge["node"] for edge in nodes] == [created["event"]]
    other = make_event(userId=unique_user())
    assert error_codes(graphql(analyst, RECORD, input=other)) == ["FORBIDDEN"]


def test_a_silent_issuer_refuses_the_request_with_503_and_retry_after(
    silent_issuer_client: TestClient, issuer: LocalIssuer
) -> None:
    answer = silent_issuer_client.post(
        "/graphql", json={"query": "{ __typename }"}, headers=bearer(issuer.token("user-42"))
    )
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "2"
    assert answer.json() == {
        "errors": [
            {
                "message": "The token issuer's signing keys cannot be fetched right now; "
                "retry later.",
                "extensions": {"code": "SERVICE_UNAVAILABLE", "store": "auth"},
            }
        ]
    }


def test_a_field_refused_leaves_the_others_answered_in_queries_and_mutations(
    auth_client: TestClient, issuer: LocalIssuer
) -> None:
    """docs/rest.md: an error is on its field, the other fields still answer; introspection and
    __typename answer without a token. A mutation that ran keeps its outcome beside one that was
    refused (found by an outside tester: non-null root fields nulled the whole `data`)."""
    anonymous = As(auth_client)
    mixed = graphql(anonymous, '{ __typename events(userId: "user-42") { nodes { eventId } } }')
    assert mixed["data"] == {"__typename": "Query", "events": None}
    assert error_codes(mixed) == ["UNAUTHENTICATED"]
    own = As(auth_client, issuer.token("user-42"))
    event_id = str(uuid.uuid4())
    both = graphql(
        own,
        "mutation($a: RecordEventInput!, $b: RecordEventInput!) {"
        " a: recordEvent(input: $a) { outcome } b: recordEvent(input: $b) { outcome } }",
        a=make_event(userId="user-42", eventId=event_id),
        b=make_event(userId="user-7"),
    )
    assert both["data"] == {"a": {"outcome": "CREATED"}, "b": None}
    assert [error["path"] for error in both["errors"]] == [["b"]]
    assert error_codes(both) == ["FORBIDDEN"]
    pages = graphql(
        own,
        '{ theirs: events(userId: "user-7") { nodes { eventId } }'
        ' mine: events(userId: "user-42") { nodes { eventId } } }',
    )
    assert pages["data"]["theirs"] is None
    assert {"eventId": event_id} in pages["data"]["mine"]["nodes"]
