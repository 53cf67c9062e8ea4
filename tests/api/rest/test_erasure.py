"""DELETE /events/{userId}/{eventId} and DELETE /events/{userId} over HTTP against the real
stores, with authentication on: who may erase, what is answered, and what is left."""

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select

from gateway.auth.dev_issuer import LocalIssuer
from gateway.settings import Settings
from persistence.metadata import EVENTS_TABLE, FENCE_OWNER
from tests.api.conftest import FlakyDynamoDB, app_with, details_store_at
from tests.api.store_calls import counted_app
from tests.auth import bearer
from tests.conftest import closed_port
from tests.factories import make_event, unique_user

PROBLEM = "application/problem+json"


def record(client: TestClient, token: dict[str, str], user: str, count: int) -> list[str]:
    events = [make_event(userId=user, eventId=str(uuid.uuid4())) for _ in range(count)]
    answer = client.post("/events/batch", json={"events": events}, headers=token)
    assert answer.json()["counts"]["created"] == count
    return [event["eventId"] for event in events]


def listed(client: TestClient, token: dict[str, str], user: str) -> list[str]:
    page = client.get(f"/events/{user}?limit=1000", headers=token).json()
    return sorted(event["eventId"] for event in page["events"])


def test_a_user_erases_one_of_their_events_and_it_is_gone_everywhere(
    auth_client: TestClient, issuer: LocalIssuer, dynamodb: Any, auth_settings: Settings
) -> None:
    user = unique_user()
    own = bearer(issuer.token(user))
    kept, erased = record(auth_client, own, user, 2)
    answer = auth_client.delete(f"/events/{user}/{erased}", headers=own)
    assert (answer.status_code, answer.content) == (204, b"")
    assert listed(auth_client, own, user) == [kept]
    assert auth_client.get(f"/events/{user}/{erased}", headers=own).status_code == 404
    item = dynamodb.get_item(TableName=auth_settings.details_table, Key={"eventId": {"S": erased}})
    assert "Item" not in item
    again = auth_client.delete(f"/events/{user}/{erased}", headers=own)
    assert again.status_code == 404 and again.headers["content-type"] == PROBLEM


def test_a_users_history_is_erased_in_bounded_calls_until_none_is_left(
    auth_client: TestClient, issuer: LocalIssuer
) -> None:
    user, bystander = unique_user(), unique_user()
    own = bearer(issuer.token(user))
    record(auth_client, own, user, 5)
    theirs = bearer(issuer.token(bystander))
    untouched = record(auth_client, theirs, bystander, 1)
    calls = []
    while True:
        answer = auth_client.delete(f"/events/{user}?limit=2", headers=own)
        assert answer.status_code == 200
        calls.append(answer.json())
        if not answer.json()["more"]:
            break
    assert calls == [
        {"userId": user, "deleted": 2, "more": True},
        {"userId": user, "deleted": 2, "more": True},
        {"userId": user, "deleted": 1, "more": False},
    ]
    assert listed(auth_client, own, user) == []
    assert listed(auth_client, theirs, bystander) == untouched
    assert auth_client.delete(f"/events/{user}", headers=own).json() == {
        "userId": user,
        "deleted": 0,
        "more": False,
    }


def test_another_users_events_are_403_to_erase_whether_or_not_they_exist(
    auth_client: TestClient, issuer: LocalIssuer
) -> None:
    owner, stranger = unique_user(), unique_user()
    (event_id,) = record(auth_client, bearer(issuer.token(owner)), owner, 1)
    theirs = bearer(issuer.token(stranger))
    answers = [
        auth_client.delete(f"/events/{owner}/{event_id}", headers=theirs),
        auth_client.delete(f"/events/{owner}/{uuid.uuid4()}", headers=theirs),
        auth_client.delete(f"/events/{owner}", headers=theirs),
    ]
    for answer in answers:
        assert answer.status_code == 403
        assert answer.headers["www-authenticate"].endswith('scope="events:delete"')
    assert listed(auth_client, bearer(issuer.token(owner)), owner) == [event_id]


def test_a_token_with_events_delete_erases_any_users_events(
    auth_client: TestClient, issuer: LocalIssuer
) -> None:
    owner = unique_user()
    record(auth_client, bearer(issuer.token(owner)), owner, 3)
    admin = bearer(issuer.token("privacy-backend", ["events:delete"]))
    assert auth_client.delete(f"/events/{owner}", headers=admin).json()["deleted"] == 3
    # Deleting is all it may do: reading stays the owner's.
    assert auth_client.get(f"/events/{owner}", headers=admin).status_code == 403


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/events/no%20spaces", ["userId"]),
        ("/events/no%20spaces?limit=0", ["userId", "limit"]),
        ("/events/{user}?limit=1001", ["limit"]),
        ("/events/{user}?limit=1&limit=2", ["limit"]),
        ("/events/no%20spaces/3f2b8a4e-5c1d-4e8f-9a7b-1c2d3e4f5a6b", ["userId"]),
    ],
)
def test_malformed_erasures_are_422_naming_each_parameter(
    client: TestClient, path: str, fields: list[str]
) -> None:
    answer = client.delete(path.format(user=unique_user()))
    assert answer.status_code == 422
    assert [error["field"] for error in answer.json()["errors"]] == fields


def test_an_event_id_that_is_not_a_uuid_is_not_found(client: TestClient) -> None:
    answer = client.delete(f"/events/{unique_user()}/not-a-uuid")
    assert answer.status_code == 404


def test_a_recorded_event_erased_then_posted_again_is_created_anew(client: TestClient) -> None:
    body = make_event(eventId=str(uuid.uuid4()))
    first = client.post("/events", json=body).json()
    assert client.delete(f"/events/{body['userId']}/{body['eventId']}").status_code == 204
    again = client.post("/events", json=body)
    assert again.status_code == 201
    assert again.json()["receivedAt"] >= first["receivedAt"]


def test_dynamodb_down_erases_nothing_and_answers_503(settings: Settings) -> None:
    body = make_event(eventId=str(uuid.uuid4()))
    with TestClient(app_with(settings)) as client:
        assert client.post("/events", json=body).status_code == 201
    down = details_store_at(settings, f"http://127.0.0.1:{closed_port()}")
    with TestClient(app_with(settings, details=down)) as client:
        answer = client.delete(f"/events/{body['userId']}/{body['eventId']}")
        assert answer.status_code == 503 and answer.json()["store"] == "details"
        assert "retry-after" in answer.headers
    with TestClient(app_with(settings)) as client:
        assert client.get(f"/events/{body['userId']}/{body['eventId']}").status_code == 200


def row_owners(settings: Settings, event_ids: list[str]) -> list[str]:
    """Whose each of the events' rows is, as SQL holds it (a fence is `FENCE_OWNER`'s)."""
    column = EVENTS_TABLE.c
    with create_engine(settings.database_url).connect() as connection:
        query = select(column.user_id).where(column.event_id.in_(event_ids))
        return sorted(connection.scalars(query))


def items(dynamodb: Any, settings: Settings, event_ids: list[str]) -> list[str]:
    return [
        event_id
        for event_id in event_ids
        if "Item"
        in dynamodb.get_item(TableName=settings.details_table, Key={"eventId": {"S": event_id}})
    ]


@pytest.mark.slow
@pytest.mark.parametrize("path", ["/events/{user}", "/events/{user}/{event}"])
def test_dynamodb_failing_during_an_erasure_is_503_and_the_same_delete_then_finishes_it(
    settings: Settings, dynamodb: Any, flaky_dynamodb: Any, path: str
) -> None:
    """The rows are marked (nothing of the events is shown from then on), then DeleteItem fails:
    503, not a 2xx that would leave the details behind. The same DELETE finishes the erasure."""
    user = unique_user()
    events = [make_event(userId=user, eventId=str(uuid.uuid4())) for _ in range(3)]
    event_ids = [event["eventId"] for event in events]
    with TestClient(app_with(settings)) as client:
        assert client.post("/events/batch", json={"events": events}).status_code == 200
    erased = event_ids if "{event}" not in path else event_ids[:1]
    target = path.format(user=user, event=event_ids[0])
    flaky: FlakyDynamoDB = flaky_dynamodb({"DeleteItem"})
    with TestClient(app_with(settings, details=details_store_at(settings, flaky.url))) as client:
        failed = client.delete(target)
        assert (failed.status_code, failed.json()["store"]) == (503, "details")
        assert failed.headers["retry-after"] == "2" and flaky.refused > 0
        for event_id in erased:
            assert client.get(f"/events/{user}/{event_id}").status_code == 404
        listed = [event["eventId"] for event in client.get(f"/events/{user}").json()["events"]]
        assert sorted(listed) == sorted(set(event_ids) - set(erased))
        assert sorted(items(dynamodb, settings, erased)) == sorted(erased)  # not deleted yet
        flaky.down = False
        done = client.delete(target)
    if "{event}" in path:
        assert (done.status_code, done.content) == (204, b"")
    else:
        assert done.json() == {"userId": user, "deleted": 3, "more": False}
    assert items(dynamodb, settings, erased) == []
    assert row_owners(settings, erased) == [FENCE_OWNER] * len(erased)


@pytest.mark.slow
@pytest.mark.parametrize("size", [1, 150])
def test_erasing_n_events_costs_a_select_a_mark_a_delete_item_each_and_the_fences(
    settings: Settings, size: int
) -> None:
    """The store calls SOLUTION.md states for DELETE /events/{userId} of n events: one SELECT;
    the mark (UPDATE, COMMIT); ⌈n/100⌉ BatchGetItem and n DeleteItem; the fences (UPDATE), old
    fences purged (DELETE), COMMIT."""
    with counted_app(settings) as (client, calls):
        user = unique_user()
        events = [make_event(userId=user, eventId=str(uuid.uuid4())) for _ in range(size)]
        assert client.post("/events/batch", json={"events": events}).status_code == 200
        calls.counts.clear()
        answer = client.delete(f"/events/{user}?limit=500")
        assert answer.json() == {"userId": user, "deleted": size, "more": False}
        assert calls.counts == {
            "sql SELECT": 1,
            "sql UPDATE": 2,
            "sql DELETE": 1,
            "sql COMMIT": 2,
            "dynamodb BatchGetItem": -(-size // 100),
            "dynamodb DeleteItem": size,
        }
