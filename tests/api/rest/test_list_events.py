"""GET /events/{userId} and /events/{userId}/{eventId}: order, filters, paging, errors."""

import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.factories import make_event, unique_user

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def record(client: Any, user: str, at: datetime, event_type: str = "view") -> dict[str, Any]:
    response = client.post(
        "/events", json=make_event(userId=user, eventType=event_type, timestamp=at.isoformat())
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def walk(client: Any, user: str, **params: Any) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = params | ({"cursor": cursor} if cursor else {})
        response = client.get(f"/events/{user}", params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["events"]) <= params.get("limit", 100)
        seen.extend(page["events"])
        cursor = page["nextCursor"]
        if cursor is None:
            return seen


def test_a_user_with_no_events_gets_an_empty_page(client: TestClient) -> None:
    response = client.get("/events/nobody-here")
    assert response.status_code == 200
    assert response.json() == {"userId": "nobody-here", "events": [], "nextCursor": None}


def test_user_ids_and_event_types_that_differ_only_in_case_are_not_mixed(
    client: TestClient,
) -> None:
    """SQL Server compares these columns with a binary collation, as SQLite does."""
    user = unique_user()
    lower = record(client, user, T0, "click")
    upper = record(client, user.upper(), T0, "CLICK")
    assert client.get(f"/events/{user.upper()}").json()["events"] == [upper]
    assert client.get(f"/events/{user}", params={"eventType": "CLICK"}).json()["events"] == []
    assert client.get(f"/events/{user.upper()}/{lower['eventId']}").status_code == 404
    assert client.get(f"/events/{user}/{lower['eventId']}").json() == lower


def test_events_come_newest_first_with_ties_broken_by_event_id(client: TestClient) -> None:
    user = unique_user()
    created = [record(client, user, T0 - timedelta(minutes=i % 3)) for i in range(7)]
    record(client, unique_user(), T0)
    listed = client.get(f"/events/{user}").json()["events"]
    expected = sorted(created, key=lambda e: e["eventId"])
    expected.sort(key=lambda e: e["timestamp"], reverse=True)
    assert listed == expected


def test_filters_by_event_type_and_a_half_open_time_window(client: TestClient) -> None:
    user = unique_user()
    clicks = [record(client, user, T0 - timedelta(hours=h), "click") for h in range(4)]
    record(client, user, T0 - timedelta(hours=1), "view")
    listed = client.get(
        f"/events/{user}",
        params={
            "eventType": "click",
            "from": (T0 - timedelta(hours=2)).isoformat(),
            "to": (T0 + timedelta(hours=1)).replace(tzinfo=None).isoformat() + "+01:00",
        },
    ).json()["events"]
    # `to` is exclusive: T0 + 1h at +01:00 is T0 itself.
    assert [e["eventId"] for e in listed] == [clicks[1]["eventId"], clicks[2]["eventId"]]


@pytest.mark.slow
def test_walking_next_cursor_yields_every_event_once_while_events_keep_arriving(
    http: httpx.Client,
) -> None:
    user = unique_user()
    existing = {record(http, user, T0 - timedelta(seconds=i // 2))["eventId"] for i in range(260)}
    arrived: list[str] = []
    stop = threading.Event()

    def keep_recording() -> None:
        with httpx.Client(base_url=str(http.base_url), timeout=30) as writer:
            minute = 0
            while not stop.is_set() and minute < 200:
                minute += 1
                at = T0 - timedelta(seconds=30) if minute % 2 else datetime.now(UTC)
                arrived.append(record(writer, user, at)["eventId"])

    writer = threading.Thread(target=keep_recording)
    writer.start()
    try:
        seen = walk(http, user, limit=40)
    finally:
        stop.set()
        writer.join()
    ids = [event["eventId"] for event in seen]
    assert len(ids) == len(set(ids)), "an event was returned twice"
    assert existing <= set(ids), "an event stored before the walk was skipped"
    assert set(ids) <= existing | set(arrived)
    keys = [(e["timestamp"], e["eventId"]) for e in seen]
    assert keys == sorted(keys, key=lambda k: (_neg(k[0]), k[1]))


def _neg(timestamp: str) -> float:
    return -datetime.fromisoformat(timestamp).timestamp()


def test_the_limit_bounds_each_page(client: TestClient) -> None:
    user = unique_user()
    for i in range(5):
        record(client, user, T0 - timedelta(seconds=i))
    first = client.get(f"/events/{user}", params={"limit": 2}).json()
    assert len(first["events"]) == 2 and first["nextCursor"]
    assert len(walk(client, user, limit=2)) == 5
    assert client.get(f"/events/{user}", params={"limit": 5}).json()["nextCursor"] is None


def test_a_tampered_or_foreign_cursor_is_400(client: TestClient) -> None:
    user = unique_user()
    for i in range(3):
        record(client, user, T0 - timedelta(seconds=i))
    cursor = client.get(f"/events/{user}", params={"limit": 1}).json()["nextCursor"]
    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    for params in (
        {"cursor": tampered},
        {"cursor": "garbage"},
        {"cursor": cursor, "eventType": "click"},
    ):
        response = client.get(f"/events/{user}", params=params)
        assert response.status_code == 400
        assert response.json()["type"] == "urn:eventlog:problem:invalid-cursor"
    assert client.get(f"/events/{unique_user()}", params={"cursor": cursor}).status_code == 400


def test_bad_limits_dates_and_user_ids_are_422_naming_the_parameter(client: TestClient) -> None:
    cases = [
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"from": "2026-11-20T12:00:00"}, "from"),
        ({"to": "not a date"}, "to"),
        ({"eventType": "9x"}, "eventType"),
    ]
    for params, field in cases:
        response = client.get("/events/someone", params=params)
        assert response.status_code == 422, params
        assert [e["field"] for e in response.json()["errors"]] == [field]
    window = client.get("/events/someone", params={"from": T0.isoformat(), "to": T0.isoformat()})
    assert window.status_code == 422
    assert [(e["field"], e["code"]) for e in window.json()["errors"]] == [
        ("from", "window_order"),
        ("to", "window_order"),
    ]
    too_long = client.get("/events/" + "u" * 129)
    assert too_long.status_code == 422
    assert [e["field"] for e in too_long.json()["errors"]] == ["userId"]
    assert client.get("/events/bad%20user").status_code == 422
    assert client.get("/events/ok", params={"limit": 1000}).status_code == 200


def test_one_event_is_found_only_under_its_own_user(client: TestClient) -> None:
    user = unique_user()
    created = record(client, user, T0)
    assert client.get(f"/events/{user}/{created['eventId']}").json() == created
    for path in (
        f"/events/{unique_user()}/{created['eventId']}",
        f"/events/{user}/{uuid.uuid4()}",
        f"/events/{user}/not-a-uuid",
    ):
        response = client.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "urn:eventlog:problem:not-found"


def test_health_and_readiness_answer_200_when_the_stores_do(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/health/ready").json() == {
        "status": "ready",
        "stores": {"metadata": "ok", "details": "ok"},
    }


def test_unknown_routes_and_methods_are_problems_too(client: TestClient) -> None:
    missing = client.get("/nope")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["type"] == "urn:eventlog:problem:not-found"
    wrong_method = client.put("/events/u")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["type"] == "urn:eventlog:problem:method-not-allowed"


@pytest.mark.slow
def test_bounds_at_the_edges_of_the_calendar_in_any_offset_list_every_event(
    client: TestClient,
) -> None:
    user = unique_user()
    created = record(client, user, T0)
    for params in (
        {"from": "0001-01-01T00:00:00+01:00"},
        {"to": "9999-12-31T23:59:59-01:00"},
        {"from": "0001-01-01T00:00:00+23:59", "to": "9999-12-31T23:59:59.999999-23:59"},
        {"from": "1970-01-01T00:00:00Z", "to": "9999-12-31T23:59:59.999999Z"},
    ):
        response = client.get(f"/events/{user}", params=params)
        assert response.status_code == 200, (params, response.text)
        assert response.json()["events"] == [created], params
    before_everything = {"to": "0001-01-01T00:59:59+01:00"}
    assert client.get(f"/events/{user}", params=before_everything).json()["events"] == []


def test_bounds_that_are_not_rfc_3339_with_an_offset_are_422_naming_them(
    client: TestClient,
) -> None:
    cases = {
        "0.5": "datetime_parsing",
        "1700000000": "datetime_parsing",
        "2026-11-24": "datetime_parsing",
        "2026-11-24 09:30Z": "datetime_parsing",
        "2026-W48-2T09:00:00Z": "datetime_parsing",
        "2026-11-24T09:30:00": "timezone_aware",
        "2026-11-24T09:30:00.1234567Z": "datetime_precision",
        "2026-11-24T09:30:60Z": "datetime_value",
    }
    for text, code in cases.items():
        for bound in ("from", "to"):
            response = client.get("/events/someone", params={bound: text})
            assert response.status_code == 422, (bound, text)
            assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [(bound, code)]


def test_a_repeated_parameter_other_than_event_type_is_422_naming_each(
    client: TestClient,
) -> None:
    response = client.get(
        "/events/someone?limit=1&limit=2&from=2026-01-01T00:00:00Z&from=2026-01-01T00:00:00Z"
        "&cursor=a&cursor=b&to=2027-01-01T00:00:00Z&to=2027-01-02T00:00:00Z"
    )
    assert response.status_code == 422
    assert sorted((e["field"], e["code"]) for e in response.json()["errors"]) == [
        ("cursor", "repeated_parameter"),
        ("from", "repeated_parameter"),
        ("limit", "repeated_parameter"),
        ("to", "repeated_parameter"),
    ]
    assert response.json()["errors"][0]["message"] == "`limit` is given 2 times; give it once"


@pytest.mark.slow
def test_event_type_repeated_is_an_or_filter_that_binds_the_cursor_as_a_set(
    client: TestClient,
) -> None:
    user = unique_user()
    for hours, kind in enumerate(["view", "click", "buy", "click", "view"]):
        record(client, user, T0 - timedelta(hours=hours), kind)
    both = walk(client, user, limit=1, eventType=["click", "view"])
    assert [e["eventType"] for e in both] == ["view", "click", "click", "view"]
    first = client.get(f"/events/{user}?limit=1&eventType=click&eventType=view").json()
    swapped = client.get(
        f"/events/{user}",
        params=[
            ("limit", "1"),
            ("eventType", "view"),
            ("eventType", "click"),
            ("eventType", "view"),
        ],
    ).json()
    assert swapped["events"] == first["events"]
    following = [("limit", "1"), ("eventType", "view"), ("eventType", "click")]
    next_page = client.get(f"/events/{user}", params=[*following, ("cursor", first["nextCursor"])])
    assert next_page.status_code == 200
    assert next_page.json()["events"] == both[1:2]
    narrower = client.get(
        f"/events/{user}",
        params=[("limit", "1"), ("eventType", "click"), ("cursor", first["nextCursor"])],
    )
    assert narrower.status_code == 400


def test_more_than_ten_event_types_are_422(client: TestClient) -> None:
    params = [("eventType", f"t{number}") for number in range(11)]
    response = client.get("/events/someone", params=params)
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("eventType", "too_long")
    ]
    assert client.get("/events/someone", params=params[:10]).status_code == 200
