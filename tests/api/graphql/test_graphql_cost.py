"""What a GraphQL page costs the stores, counted at the drivers: SQL statements at the engine,
BatchGetItem calls at botocore."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from gateway.settings import Settings
from tests.api.graphql.graphql_client import graphql
from tests.api.store_calls import Calls, counted_app
from tests.factories import make_event, unique_user

WITH_DETAILS = (
    "query($u: String!, $n: Int) { events(userId: $u, first: $n) { nodes { eventId details } } }"
)
WITHOUT_DETAILS = (
    "query($u: String!, $n: Int) { events(userId: $u, first: $n) { nodes { eventId eventType } } }"
)


@pytest.fixture
def counted(settings: Settings) -> Iterator[tuple[TestClient, Calls]]:
    with counted_app(settings) as counting:
        yield counting


@pytest.mark.slow
def test_a_page_with_details_costs_one_query_and_a_batch_per_100_events(
    counted: tuple[TestClient, Calls],
) -> None:
    client, calls = counted
    user = unique_user()
    for _ in range(150):
        client.post("/events", json=make_event(userId=user, details={"k": 1}))
    calls.counts.clear()
    nodes = graphql(client, WITH_DETAILS, u=user, n=150)["data"]["events"]["nodes"]
    assert len(nodes) == 150 and all(node["details"] == {"k": 1} for node in nodes)
    assert calls.counts == {"sql SELECT": 1, "dynamodb BatchGetItem": 2}


def test_a_page_without_details_makes_no_dynamodb_call(counted: tuple[TestClient, Calls]) -> None:
    client, calls = counted
    user = unique_user()
    for _ in range(3):
        client.post("/events", json=make_event(userId=user))
    calls.counts.clear()
    assert len(graphql(client, WITHOUT_DETAILS, u=user, n=10)["data"]["events"]["nodes"]) == 3
    one = "query($u: String!, $e: ID!) { event(userId: $u, eventId: $e) { eventType } }"
    event_id = graphql(client, WITHOUT_DETAILS, u=user, n=1)["data"]["events"]["nodes"][0][
        "eventId"
    ]
    graphql(client, one, u=user, e=event_id)
    assert calls.counts == {"sql SELECT": 3}


def test_no_request_is_answered_from_another_requests_details(
    counted: tuple[TestClient, Calls],
) -> None:
    client, calls = counted
    user = unique_user()
    client.post("/events", json=make_event(userId=user))
    calls.counts.clear()
    for _ in range(2):
        graphql(client, WITH_DETAILS, u=user, n=5)
    assert calls.counts["dynamodb BatchGetItem"] == 2


def test_details_and_cursors_asked_through_fragments_are_answered(
    counted: tuple[TestClient, Calls],
) -> None:
    """The page loads details and signs cursors when the query asks for them anywhere below,
    in a named fragment or an inline one as in the field itself."""
    client, _ = counted
    user = unique_user()
    for n in range(3):
        client.post("/events", json=make_event(userId=user, details={"n": n}))
    direct = (
        "query($u: String!) { events(userId: $u) { edges { cursor node { eventId details } } } }"
    )
    through_fragments = (
        "query($u: String!) { events(userId: $u) { edges { ...Edge } } } "
        "fragment Edge on EventEdge { ... on EventEdge { cursor } node { ...Node } } "
        "fragment Node on Event { eventId details }"
    )
    expected = graphql(client, direct, u=user)["data"]["events"]["edges"]
    assert [edge["node"]["details"] for edge in expected] == [{"n": 2}, {"n": 1}, {"n": 0}]
    assert all(edge["cursor"] for edge in expected)
    assert graphql(client, through_fragments, u=user)["data"]["events"]["edges"] == expected
