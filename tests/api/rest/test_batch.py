"""POST /events/batch over HTTP against the real stores: each event's fate, the envelope's
rules, the whole batch's failure and its retry, and what a batch costs the stores."""

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway.settings import Settings
from tests.api.conftest import app_with, details_store_at, oversized_stream
from tests.api.store_calls import counted_app
from tests.conftest import closed_port
from tests.factories import make_event, unique_user

PROBLEM = "application/problem+json"


def batch(client: TestClient, events: Any) -> Any:
    return client.post("/events/batch", json={"events": events})


def test_a_batch_answers_each_events_fate_in_order_and_stores_the_good_ones(
    client: TestClient,
) -> None:
    user = unique_user()
    taken = make_event(userId=user, eventId=str(uuid.uuid4()))
    assert client.post("/events", json=taken).status_code == 201
    fresh = make_event(userId=user, eventId=str(uuid.uuid4()), timestamp="2026-11-24T08:00:00Z")
    events = [fresh, taken, taken | {"eventType": "purchase"}, {"userId": user}]
    answer = batch(client, events)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert [(r["index"], r["outcome"]) for r in body["results"]] == [
        (0, "created"),
        (1, "replayed"),
        (2, "conflict"),
        (3, "invalid"),
    ]
    assert body["counts"] == {
        "created": 1,
        "replayed": 1,
        "conflict": 1,
        "invalid": 1,
        "forbidden": 0,
    }
    created, replayed, conflict, invalid = body["results"]
    assert created["event"] == client.get(f"/events/{user}/{fresh['eventId']}").json()
    assert replayed["event"] == client.get(f"/events/{user}/{taken['eventId']}").json()
    assert conflict["problem"]["status"] == 409
    assert conflict["problem"]["type"] == "urn:eventlog:problem:conflict"
    # The same 422 a single POST of that event answers, errors and all.
    single = client.post("/events", json={"userId": user}).json()
    assert {k: v for k, v in invalid["problem"].items() if k != "requestId"} == {
        k: v for k, v in single.items() if k != "requestId"
    }
    assert "problem" not in created and "event" not in invalid
    listed = [event["eventId"] for event in client.get(f"/events/{user}").json()["events"]]
    assert sorted(listed) == sorted([fresh["eventId"], taken["eventId"]])


def test_a_repeated_key_in_one_event_makes_only_that_event_invalid(client: TestClient) -> None:
    user = unique_user()
    body = (
        '{"events": [{"userId": "USER", "eventType": "a", "eventType": "b"}, '
        '{"userId": "USER", "eventType": "c", "details": {"k": 1, "k": 2}}, '
        '{"userId": "USER", "eventType": "d"}]}'
    ).replace("USER", user)
    answer = client.post(
        "/events/batch", content=body, headers={"Content-Type": "application/json"}
    )
    results = answer.json()["results"]
    assert [r["outcome"] for r in results] == ["invalid", "invalid", "created"]
    assert [e["field"] for e in results[0]["problem"]["errors"]] == ["eventType"]
    assert [e["field"] for e in results[1]["problem"]["errors"]] == ["details.k"]


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ("[]", "", "object_type"),
        ('"events"', "", "object_type"),
        ("null", "", "object_type"),
        ("{}", "events", "missing"),
        ('{"events": null}', "events", "list_type"),
        ('{"events": []}', "events", "too_short"),
        ('{"events": [{}], "more": []}', "more", "extra_forbidden"),
        ('{"events": [], "events": [{}]}', "events", "duplicate_key"),
    ],
)
def test_a_malformed_envelope_is_refused_whole(
    client: TestClient, body: str, field: str, code: str
) -> None:
    answer = client.post(
        "/events/batch", content=body, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"] == PROBLEM
    assert [(e["field"], e["code"]) for e in answer.json()["errors"]] == [(field, code)]


def test_more_events_than_the_bound_is_refused_whole(settings: Settings) -> None:
    with TestClient(app_with(settings.model_copy(update={"batch_max_events": 3}))) as client:
        user = unique_user()
        answer = batch(client, [make_event(userId=user) for _ in range(4)])
        assert answer.status_code == 422
        assert answer.json()["errors"][0]["message"] == (
            "a batch holds 1 to 3 events; this one holds 4"
        )
        assert client.get(f"/events/{user}").json()["events"] == []


@pytest.mark.slow
def test_a_batch_of_500_events_near_the_body_limit_is_stored(client: TestClient) -> None:
    user = unique_user()
    events = [make_event(userId=user, details={"pad": "x" * 1900}) for _ in range(500)]
    answer = batch(client, events)
    assert answer.status_code == 200
    assert answer.json()["counts"]["created"] == 500


def test_a_body_over_the_batch_limit_is_refused_unread(client: TestClient) -> None:
    answer = client.post(
        "/events/batch",
        content=oversized_stream(b'{"events": [', b"]}", size=1024 * 1024 + 8192),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    assert answer.json()["detail"] == "The body exceeds 1048576 bytes."
    # The single-event limit still holds on POST /events.
    single = client.post(
        "/events",
        content=oversized_stream(b"{", b"}", size=200_000),
        headers={"Content-Type": "application/json"},
    )
    assert single.status_code == 413
    assert single.json()["detail"] == "The body exceeds 147456 bytes."


@pytest.mark.slow
def test_dynamodb_down_fails_the_whole_batch_and_the_same_batch_later_stores_each_once(
    settings: Settings,
) -> None:
    user = unique_user()
    events = [make_event(userId=user, eventId=str(uuid.uuid4())) for _ in range(5)]
    down = details_store_at(settings, f"http://127.0.0.1:{closed_port()}")
    with TestClient(app_with(settings, details=down)) as client:
        answer = batch(client, events)
        assert answer.status_code == 503
        assert answer.headers["retry-after"] == str(settings.retry_after_seconds)
        assert answer.json()["store"] == "details"
    with TestClient(app_with(settings)) as client:
        assert client.get(f"/events/{user}").json()["events"] == []
        assert batch(client, events).json()["counts"]["created"] == 5
        assert batch(client, events).json()["counts"]["replayed"] == 5
        assert len(client.get(f"/events/{user}").json()["events"]) == 5


@pytest.mark.slow
@pytest.mark.parametrize("size", [1, 100])
def test_a_batch_of_new_events_costs_one_select_one_insert_one_commit_and_a_claim_each(
    settings: Settings, size: int
) -> None:
    """The store calls docs/rest.md states for a batch of n new events with eventIds."""
    with counted_app(settings) as (client, calls):
        user = unique_user()
        events = [make_event(userId=user, eventId=str(uuid.uuid4())) for _ in range(size)]
        calls.counts.clear()
        assert batch(client, events).json()["counts"]["created"] == size
        assert calls.counts == {
            "sql SELECT": 1,
            "sql INSERT": 1,
            "sql COMMIT": 1,
            "dynamodb UpdateItem": size,
        }
        calls.counts.clear()
        assert batch(client, events).json()["counts"]["replayed"] == size
        assert calls.counts == {"sql SELECT": 1, "dynamodb BatchGetItem": -(-size // 100)}


def test_a_single_post_costs_what_a_batch_of_one_does(settings: Settings) -> None:
    with counted_app(settings) as (client, calls):
        calls.counts.clear()
        assert client.post("/events", json=make_event(eventId=str(uuid.uuid4()))).status_code == 201
        assert calls.counts == {
            "sql SELECT": 1,
            "sql INSERT": 1,
            "sql COMMIT": 1,
            "dynamodb UpdateItem": 1,
        }
        calls.counts.clear()
        assert client.post("/events", json=make_event()).status_code == 201
        assert calls.counts == {"sql INSERT": 1, "sql COMMIT": 1, "dynamodb UpdateItem": 1}
