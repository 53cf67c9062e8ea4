"""DELETE /events/{userId}/{eventId} and DELETE /events/{userId} over HTTP against the real
stores, with authentication on: who may erase, what is answered, and what is left."""

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway.auth.dev_issuer import LocalIssuer
from gateway.settings import Settings
from tests.api.conftest import app_with, details_store_at
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


@pytest.mark.parametrize("size", [1, 150])
def test_erasing_n_events_costs_one_select_one_delete_one_commit_and_a_delete_item_each(
    settings: Settings, size: int
) -> None:
    """The store calls SOLUTION.md states for DELETE /events/{userId} of n events."""
    with counted_app(settings) as (client, calls):
        user = unique_user()
        events = [make_event(userId=user, eventId=str(uuid.uuid4())) for _ in range(size)]
        assert client.post("/events/batch", json={"events": events}).status_code == 200
        calls.counts.clear()
        answer = client.delete(f"/events/{user}?limit=500")
        assert answer.json() == {"userId": user, "deleted": size, "more": False}
        assert calls.counts == {
            "sql SELECT": 1,
            "sql DELETE": 1,
            "sql COMMIT": 1,
            "dynamodb BatchGetItem": -(-size // 100),
            "dynamodb DeleteItem": size,
        }
