"""What a GraphQL page costs the stores, counted at the drivers: SQL statements at the engine,
BatchGetItem calls at botocore."""

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from gateway.app import create_app
from gateway.settings import Settings
from gateway.stores import open_stores
from tests.api.graphql.graphql_client import graphql
from tests.factories import make_event, unique_user

WITH_DETAILS = (
    "query($u: String!, $n: Int) { events(userId: $u, first: $n) { nodes { eventId details } } }"
)
WITHOUT_DETAILS = (
    "query($u: String!, $n: Int) { events(userId: $u, first: $n) { nodes { eventId eventType } } }"
)


class Calls:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def sql(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.counts["sql " + statement.split()[0].upper()] += 1

    def dynamodb(self, model: Any, **_: Any) -> None:
        self.counts["dynamodb " + model.name] += 1


@pytest.fixture
def counted(settings: Settings) -> Iterator[tuple[TestClient, Calls]]:
    calls = Calls()
    with open_stores(settings) as stores, TestClient(create_app(settings, stores)) as client:
        event.listen(stores.engine, "before_cursor_execute", calls.sql)
        stores.dynamodb.meta.events.register("before-call.dynamodb", calls.dynamodb)
        yield client, calls


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


def test_each_request_has_its_own_loader(counted: tuple[TestClient, Calls]) -> None:
    client, calls = counted
    user = unique_user()
    client.post("/events", json=make_event(userId=user))
    calls.counts.clear()
    for _ in range(2):
        graphql(client, WITH_DETAILS, u=user, n=5)
    assert calls.counts["dynamodb BatchGetItem"] == 2
