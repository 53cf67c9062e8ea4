"""POST /events over HTTP: created, replayed, conflicting, and every way a body can be bad."""

import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.apps import oversized_stream
from tests.factories import make_event, unique_user

PROBLEM = "application/problem+json"


def post(client: TestClient, body: Any, **headers: str) -> Any:
    return client.post("/events", json=body, headers=headers)


def test_records_an_event_and_says_where_it_lives(client: TestClient) -> None:
    body = make_event(eventId=str(uuid.uuid4()), timestamp="2026-11-24T09:30:00.250+01:00")
    response = post(client, body)
    assert response.status_code == 201
    assert response.headers["location"] == f"/events/{body['userId']}/{body['eventId']}"
    created = response.json()
    assert created == {
        "eventId": body["eventId"],
        "userId": body["userId"],
        "eventType": "page_view",
        "timestamp": "2026-11-24T08:30:00.250000Z",
        "receivedAt": created["receivedAt"],
        "details": {"page": "/pricing", "durationMs": 5120},
    }
    assert created["receivedAt"].endswith("Z")
    assert client.get(response.headers["location"]).json() == created


def test_defaults_the_event_id_timestamp_and_details(client: TestClient) -> None:
    response = post(client, {"userId": "u:1@x|y+z=w", "eventType": "login"})
    assert response.status_code == 201
    created = response.json()
    assert uuid.UUID(created["eventId"]).version == 4
    assert created["timestamp"] == created["receivedAt"]
    assert created["details"] == {}
    assert response.headers["location"] == f"/events/u:1@x%7Cy+z=w/{created['eventId']}"
    assert client.get(response.headers["location"]).status_code == 200


def test_the_same_event_again_is_a_replay_answered_200_with_the_stored_event(
    client: TestClient,
) -> None:
    body = make_event(eventId=str(uuid.uuid4()))
    created = post(client, body).json()
    replay = post(client, body)
    assert replay.status_code == 200
    assert replay.json() == created
    assert "location" not in replay.headers
    assert len(client.get(f"/events/{body['userId']}").json()["events"]) == 1


def test_a_replay_may_spell_numbers_differently(client: TestClient) -> None:
    body = make_event(eventId=str(uuid.uuid4()), details={"n": 1.5})
    post(client, body)
    replay = client.post(
        "/events",
        content=(
            f'{{"eventId":"{body["eventId"]}","userId":"{body["userId"]}",'
            '"eventType":"page_view","details":{"n":1.50}}'
        ),
        headers={"content-type": "application/json"},
    )
    assert replay.status_code == 200


def test_a_reused_event_id_with_other_content_is_409_and_changes_nothing(
    client: TestClient,
) -> None:
    body = make_event(eventId=str(uuid.uuid4()))
    created = post(client, body).json()
    response = post(client, body | {"details": {"page": "/elsewhere"}})
    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM
    assert response.json() == {
        "type": "urn:eventlog:problem:conflict",
        "title": "Event already exists with other content",
        "status": 409,
        "detail": f"Event {body['eventId']} already exists with different content; "
        "nothing was changed.",
        "requestId": response.headers["x-request-id"],
    }
    assert client.get(f"/events/{body['userId']}/{body['eventId']}").json() == created


def test_a_validation_error_lists_every_offending_field(client: TestClient) -> None:
    response = post(
        client,
        {
            "userId": "no spaces",
            "eventType": "9lives",
            "timestamp": "2026-01-01T00:00:00",
            "details": {"a": {"": 1}},
            "color": "red",
        },
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["type"] == "urn:eventlog:problem:validation"
    assert problem["status"] == 422
    assert sorted((e["field"], e["code"]) for e in problem["errors"]) == [
        ("color", "extra_forbidden"),
        ('details.a[""]', "empty_key"),
        ("eventType", "string_pattern_mismatch"),
        ("timestamp", "timezone_aware"),
        ("userId", "string_pattern_mismatch"),
    ]
    assert all(error["message"] for error in problem["errors"])


def test_non_finite_numbers_are_422_naming_the_field(client: TestClient) -> None:
    response = client.post(
        "/events",
        content='{"userId":"u","eventType":"e","details":{"x":[1,NaN],"y":Infinity}}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert sorted(e["field"] for e in response.json()["errors"]) == ["details.x[1]", "details.y"]


def test_a_non_json_content_type_is_415(client: TestClient) -> None:
    for headers in ({"content-type": "text/plain"}, {"content-type": "application/xml"}, {}):
        response = client.post("/events", content=b'{"userId":"u"}', headers=headers)
        assert response.status_code == 415
        assert response.json()["type"] == "urn:eventlog:problem:unsupported-media-type"


def test_a_json_content_type_with_charset_or_suffix_is_accepted(client: TestClient) -> None:
    for content_type in ("application/json; charset=utf-8", "application/vnd.eventlog+json"):
        response = client.post(
            "/events",
            content=b'{"userId":"u","eventType":"e"}',
            headers={"content-type": content_type},
        )
        assert response.status_code == 201


def test_bodies_are_read_as_utf8_whatever_charset_is_named(client: TestClient) -> None:
    """docs/rest.md: a charset parameter is ignored, a byte order mark skipped."""
    latin = {"content-type": "application/json; charset=latin-1"}
    own = '\ufeff{"userId": "u", "eventType": "e", "details": {"city": "Malm\u00f6"}}'
    answer = client.post("/events", content=own.encode(), headers=latin)
    assert (answer.status_code, answer.json()["details"]) == (201, {"city": "Malmö"})
    refused = client.post("/events", content=own[1:].encode("latin-1"), headers=latin)
    assert refused.status_code == 400
    assert refused.json()["type"] == "urn:eventlog:problem:malformed-json"


def test_malformed_json_is_400(client: TestClient) -> None:
    for content in (b'{"userId": "u",', b"\xff\xfe{}", b""):
        response = client.post(
            "/events", content=content, headers={"content-type": "application/json"}
        )
        assert response.status_code == 400
        assert response.json()["type"] == "urn:eventlog:problem:malformed-json"


def test_a_body_that_is_not_an_object_is_422(client: TestClient) -> None:
    response = post(client, ["userId"])
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "", "message": "the body must be a JSON object", "code": "object_type"}
    ]


def test_a_body_over_the_limit_is_413_by_its_declared_length(client: TestClient) -> None:
    oversized = make_event(details={"pad": "x" * 200_000})
    response = post(client, oversized)
    assert response.status_code == 413
    assert response.json()["detail"] == "The body exceeds 147456 bytes."


def test_a_streamed_body_over_the_limit_is_413_without_a_length(client: TestClient) -> None:
    chunks = oversized_stream(b'{"userId":"u","eventType":"e","details":{"pad":"', b'"}}')
    response = client.post("/events", content=chunks, headers={"content-type": "application/json"})
    assert "content-length" not in response.request.headers
    assert response.status_code == 413


def test_details_over_64_kib_are_422_even_when_the_body_fits(client: TestClient) -> None:
    response = post(client, make_event(details={"pad": "x" * 70_000}))
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("details", "too_large")
    ]


def test_absurdly_deep_json_is_422_not_a_crash(client: TestClient) -> None:
    content = b'{"userId":"u","eventType":"e","details":' + b"[" * 60_000 + b"]" * 60_000 + b"}"
    response = client.post("/events", content=content, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "too_deep"


def test_unicode_and_38_digit_numbers_round_trip_exactly(client: TestClient) -> None:
    user = unique_user()
    raw = (
        f'{{"userId":"{user}","eventType":"e","details":'
        '{"name":"Zoë 🐢 日本","big":12345678901234567890123456789012345678,'
        '"tiny":1E-130,"pi":3.1415926535897932384626433832795028841,"neg":-0.5}}'
    )
    response = client.post("/events", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 201
    listed = client.get(f"/events/{user}").text
    for literal in (
        '"name":"Zoë 🐢 日本"',
        '"big":12345678901234567890123456789012345678',
        '"tiny":1E-130',
        '"pi":3.1415926535897932384626433832795028841',
        '"neg":-0.5',
    ):
        assert literal in listed


def test_every_response_carries_a_request_id_and_keeps_a_sane_one(client: TestClient) -> None:
    kept = client.get("/health", headers={"x-request-id": "trace-123.abc"})
    assert kept.headers["x-request-id"] == "trace-123.abc"
    replaced = client.get("/health", headers={"x-request-id": "bad id\twith spaces"})
    assert replaced.headers["x-request-id"] not in ("", "bad id\twith spaces")
    failed = post(client, {"userId": ""}, **{"X-Request-ID": "req-42"})
    assert failed.headers["x-request-id"] == failed.json()["requestId"] == "req-42"


# The numbers issue 9 saw crash the write, and DynamoDB's extremes: each stored, and read back
# equal in value, in the one spelling every backend answers.
STORABLE_NUMBERS = {
    "1" + "0" * 40: "1E+40",
    "1.0000000000000000000000000000000000000000": "1",
    "0E-200": "0",
    "0E+200": "0",
    "1.2345678901234567890123456789012345678E-130": "1.2345678901234567890123456789012345678E-130",
    "-9.99999999999999999999999999999999999E+125": "-9.99999999999999999999999999999999999E+125",
    "19.90": "19.9",
    "-0": "0",
    "1.5E3": "1500",
}


def test_every_number_the_rules_allow_is_stored_and_read_back_in_its_normal_spelling(
    client: TestClient,
) -> None:
    user = unique_user()
    numbers = ",".join(STORABLE_NUMBERS)
    raw = f'{{"userId":"{user}","eventType":"e","details":{{"list":[{numbers}]}}}}'
    response = client.post("/events", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 201, response.text
    answered = "[" + ",".join(STORABLE_NUMBERS.values()) + "]"
    assert f'"details":{{"list":{answered}}}' in response.text
    assert f'"details":{{"list":{answered}}}' in client.get(f"/events/{user}").text


@pytest.mark.parametrize(
    "timestamp",
    ["1700000000", "0.5", "2026-11-24", "2026-11-24 09:30:00Z", "2026-11-24T09:30:00.1234567Z"],
)
def test_a_timestamp_that_is_not_rfc_3339_with_an_offset_is_422(
    client: TestClient, timestamp: str
) -> None:
    response = post(client, make_event(timestamp=timestamp))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["timestamp"]


@pytest.mark.parametrize(
    ("timestamp", "stored"),
    [
        ("2026-11-24t09:30:00.25z", "2026-11-24T09:30:00.250000Z"),
        ("2026-11-24T09:30:00-00:00", "2026-11-24T09:30:00.000000Z"),
        ("2026-11-24T09:30:00.123456000+01:00", "2026-11-24T08:30:00.123456Z"),
    ],
)
def test_rfc_3339_s_own_variants_are_accepted(
    client: TestClient, timestamp: str, stored: str
) -> None:
    response = post(client, make_event(timestamp=timestamp))
    assert response.status_code == 201, response.text
    assert response.json()["timestamp"] == stored


def test_a_key_repeated_anywhere_in_the_body_is_422_naming_it(client: TestClient) -> None:
    user = unique_user()
    response = client.post(
        "/events",
        content=(
            f'{{"userId":"{user}","userId":"other","eventType":"e",'
            '"details":{"a":1,"b":{"c":[{"d":1,"d":2}]},"a":2}}'
        ),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert sorted((e["field"], e["code"]) for e in response.json()["errors"]) == [
        ("details.a", "duplicate_key"),
        ("details.b.c[0].d", "duplicate_key"),
        ("userId", "duplicate_key"),
    ]
    assert client.get(f"/events/{user}").json()["events"] == []
    assert client.get("/events/other").json()["events"] == []


def test_details_near_the_limit_fit_as_utf8_but_not_as_escapes(client: TestClient) -> None:
    body = make_event(details={"text": "é" * 32_000})
    escaped = json.dumps(body).encode()
    assert len(escaped) > 147_456
    refused = client.post("/events", content=escaped, headers={"content-type": "application/json"})
    assert refused.status_code == 413
    as_utf8 = json.dumps(body, ensure_ascii=False).encode()
    created = client.post("/events", content=as_utf8, headers={"content-type": "application/json"})
    assert created.status_code == 201
    assert created.json()["details"] == body["details"]
