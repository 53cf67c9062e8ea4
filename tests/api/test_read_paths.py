"""Every read path answers the details of the shapes nobody wrote down: none at all, `{}`, and
the largest allowed (at the default limit and at the configurable ceiling), recorded through
either door, with either DynamoDB emulator. And an event whose details item was lost outside
our writes: reads leave it out, and a replay of its request restores it."""

import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.settings import Settings
from gateway.stores import dynamodb_client
from schema.limits import DEFAULT_MAX_DETAILS_BYTES, MAX_DETAILS_BYTES_CEILING
from tests.api.two_doors import RECORDERS, details_on_every_read_path, graphql_data
from tests.factories import unique_user
from tests.stores import store_settings
from tests.strategies import assert_same_json

_PAD_OVERHEAD = len('{"pad":""}')
SHAPES: dict[str, dict[str, Any] | None] = {
    "no details": None,
    "empty details": {},
    "largest details": {"pad": "x" * (DEFAULT_MAX_DETAILS_BYTES - _PAD_OVERHEAD)},
}


def body_with(details: dict[str, Any] | None) -> dict[str, Any]:
    body = {"eventId": str(uuid.uuid4()), "userId": unique_user(), "eventType": "click"}
    return body if details is None else body | {"details": details}


def assert_every_read_answers(client: TestClient, door: str, body: dict[str, Any]) -> None:
    expected = body.get("details", {})
    record = RECORDERS[door]
    created = record(client, body)
    assert created.status == 201, created
    assert_same_json(created.body["details"], expected, "the created event")
    for path, details in details_on_every_read_path(
        client, body["userId"], body["eventId"]
    ).items():
        assert_same_json(details, expected, path)
    replay = record(client, body)
    assert (replay.status, replay.body) == (200, created.body)


@pytest.mark.parametrize("door", sorted(RECORDERS))
@pytest.mark.parametrize("shape", list(SHAPES))
def test_every_read_path_answers_the_details_of_every_shape(
    emulator_client: TestClient, door: str, shape: str
) -> None:
    assert_every_read_answers(emulator_client, door, body_with(SHAPES[shape]))


@pytest.fixture
def ceiling_client(
    tmp_path: Path, emulator_endpoint: str, details_table: str
) -> Iterator[TestClient]:
    settings = store_settings(
        tmp_path / "events.db",
        emulator_endpoint,
        details_table,
        max_details_bytes=MAX_DETAILS_BYTES_CEILING,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize("door", sorted(RECORDERS))
def test_details_at_the_configurable_ceiling_fit_dynamodbs_item_size_on_every_read_path(
    ceiling_client: TestClient, door: str
) -> None:
    largest = {"pad": "x" * (MAX_DETAILS_BYTES_CEILING - _PAD_OVERHEAD)}
    assert_every_read_answers(ceiling_client, door, body_with(largest))


def lose_details(settings: Settings, event_id: str) -> None:
    """What damage outside our writes does: the details item deleted behind our back."""
    client = dynamodb_client(settings, settings.dynamodb_endpoint)
    client.delete_item(TableName=settings.details_table, Key={"eventId": {"S": event_id}})


@pytest.mark.parametrize("door", sorted(RECORDERS))
def test_a_replay_restores_details_lost_outside_our_writes(
    emulator_settings: Settings, emulator_client: TestClient, door: str
) -> None:
    body = body_with({"price": Decimal("19.90"), "items": [{"sku": "A-1"}]})
    user, event_id = body["userId"], body["eventId"]
    created = RECORDERS[door](emulator_client, body)
    assert created.status == 201
    lose_details(emulator_settings, event_id)

    # Until then, every read leaves the event out rather than show it without details.
    assert emulator_client.get(f"/events/{user}").json()["events"] == []
    assert emulator_client.get(f"/events/{user}/{event_id}").status_code == 404
    lists = graphql_data(
        emulator_client,
        "query($u: String!) { events(userId: $u) { nodes { details } pageInfo { endCursor } } }",
        u=user,
    )
    assert lists["events"]["nodes"] == []
    assert lists["events"]["pageInfo"]["endCursor"] is not None  # the walk goes past it
    one = "query($u: String!, $e: ID!) { event(userId: $u, eventId: $e) { details } }"
    assert graphql_data(emulator_client, one, u=user, e=event_id) == {"event": None}

    # Other content under the same id is still a conflict, and restores nothing.
    other = RECORDERS[door](emulator_client, body | {"details": {"price": 1}})
    assert other.status == 409
    assert emulator_client.get(f"/events/{user}").json()["events"] == []

    replay = RECORDERS[door](emulator_client, body)
    assert (replay.status, replay.body) == (200, created.body)
    for path, details in details_on_every_read_path(emulator_client, user, event_id).items():
        assert_same_json(details, {"price": Decimal("19.9"), "items": [{"sku": "A-1"}]}, path)
