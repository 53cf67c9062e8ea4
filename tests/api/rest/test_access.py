"""REST with authentication on: a stranger gets 401 with a Bearer challenge, another user's
events 403 (never a hint of what exists), the token's subject its own events, scopes everyone's;
the public pages stay public."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway.auth.dev_issuer import LocalIssuer, SigningKey
from tests.auth import bearer
from tests.factories import make_event, unique_user

PROBLEM = "application/problem+json"
MISSING = (
    "This operation needs a token: send Authorization: Bearer <token>.",
    'Bearer realm="eventlog"',
)


def operations(user: str) -> list[tuple[str, str, dict[str, Any]]]:
    event_id = "3f2b8a4e-5c1d-4e8f-9a7b-1c2d3e4f5a6b"
    return [
        ("POST", "/events", {"json": make_event(userId=user)}),
        ("POST", "/events/batch", {"json": {"events": [make_event(userId=user)]}}),
        ("GET", f"/events/{user}", {}),
        ("GET", f"/events/{user}/{event_id}", {}),
        ("DELETE", f"/events/{user}", {}),
        ("DELETE", f"/events/{user}/{event_id}", {}),
    ]


def recorded(client: TestClient, issuer: LocalIssuer, owner: str) -> dict[str, Any]:
    """An event of `owner`, recorded with their own token."""
    answer = client.post(
        "/events", json=make_event(userId=owner), headers=bearer(issuer.token(owner))
    )
    assert answer.status_code == 201
    event: dict[str, Any] = answer.json()
    return event


def problem(answer: Any) -> dict[str, Any]:
    body: dict[str, Any] = answer.json()
    assert body.pop("requestId") == answer.headers["x-request-id"]
    return body


@pytest.mark.parametrize(("method", "path", "options"), operations("user-42"))
def test_an_operation_without_a_token_is_401_with_a_bearer_challenge(
    auth_client: TestClient, method: str, path: str, options: dict[str, Any]
) -> None:
    answer = auth_client.request(method, path, **options)
    assert answer.status_code == 401
    assert answer.headers["content-type"] == PROBLEM
    assert answer.headers["www-authenticate"] == MISSING[1]
    assert problem(answer) == {
        "type": "urn:eventlog:problem:unauthenticated",
        "title": "Authentication required",
        "status": 401,
        "detail": MISSING[0],
    }


@pytest.mark.parametrize(
    "authorization", ["Basic dXNlcjpwYXNz", "bearer", "Token abc", "Bearer   "]
)
def test_other_schemes_and_empty_bearers_are_answered_as_no_token_or_invalid(
    auth_client: TestClient, authorization: str
) -> None:
    answer = auth_client.get("/events/user-42", headers={"Authorization": authorization})
    assert answer.status_code == 401
    challenge = answer.headers["www-authenticate"]
    if authorization.lower().startswith("bearer"):
        assert challenge == (
            'Bearer realm="eventlog", error="invalid_token", error_description="The '
            'Authorization header is not Bearer followed by a token."'
        )
    else:
        assert challenge == MISSING[1]


def test_an_expired_token_is_401_invalid_token_saying_so(
    auth_client: TestClient, issuer: LocalIssuer
) -> None:
    expired = issuer.token("user-42", lifetime_seconds=-300)
    answer = auth_client.get("/events/user-42", headers=bearer(expired))
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == (
        'Bearer realm="eventlog", error="invalid_token", error_description="The token has expired."'
    )
    assert problem(answer) == {
        "type": "urn:eventlog:problem:unauthenticated",
        "title": "Authentication required",
        "status": 401,
        "detail": "The token has expired.",
    }


def test_a_stranger_is_told_401_before_anything_about_the_request(
    auth_client: TestClient,
) -> None:
    """No token: the body's media type, JSON or rules, and the query's, are not judged."""
    answers = [
        auth_client.post("/events", content=b"userId=x", headers={"Content-Type": "text/plain"}),
        auth_client.post("/events", content=b"{", headers={"Content-Type": "application/json"}),
        auth_client.post("/events", json={"userId": "no spaces"}),
        auth_client.get("/events/no spaces?limit=0"),
        auth_client.get("/events/user-42/not-a-uuid"),
    ]
    assert [answer.status_code for answer in answers] == [401] * len(answers)


def test_a_user_records_and_reads_their_own_events(
    auth_client: TestClient, issuer: LocalIssuer
) -> None:
    user = unique_user()
    own = bearer(issuer.token(user))
    created = auth_client.post("/events", json=make_event(userId=user), headers=own)
    assert created.status_code == 201
    location = created.headers["location"]
    assert auth_client.get(location, headers=own).json() == created.json()
    listed = auth_client.get(f"/events/{user}", headers=own).json()["events"]
    assert listed == [created.json()]


def test_another_users_events_are_403_whether_or_not_they_exist(
    auth_client: TestClient, issuer: LocalIssuer
) -> None:
    owner, stranger = unique_user(), unique_user()
    event = recorded(auth_client, issuer, owner)
    theirs = bearer(issuer.token(stranger))
    existing = auth_client.get(f"/events/{owner}/{event['eventId']}", headers=theirs)
    missing = auth_client.get(
        f"/events/{owner}/{'0' * 8}-0000-4000-8000-{'0' * 12}", headers=theirs
    )
    listing = auth_client.get(f"/events/{owner}", headers=theirs)
    for answer in (existing, missing, listing):
        assert answer.status_code == 403
        assert answer.headers["www-authenticate"] == (
            'Bearer realm="eventlog", error="insufficient_scope", '
            'error_description="The token may not do this for this user.", scope="events:read"'
        )
        assert problem(answer) == {
            "type": "urn:eventlog:problem:forbidden",
            "title": "Not allowed for this user",
            "status": 403,
            "detail": f"This token may not read the events of user {owner!r}: only that user's "
            "own token may, or one with the scope events:read.",
        }


def test_under_their_own_path_a_user_gets_404_for_someone_elses_event(
    auth_client: TestClient, issuer: LocalIssuer
) -> None:
    owner, other = unique_user(), unique_user()
    event = recorded(auth_client, issuer, owner)
    answer = auth_client.get(
        f"/events/{other}/{event['eventId']}", headers=bearer(issuer.token(other))
    )
    assert answer.status_code == 404


def test_recording_for_another_user_is_403_and_stores_nothing(
    auth_client: TestClient, issuer: LocalIssuer
) -> None:
    victim = unique_user()
    answer = auth_client.post(
        "/events", json=make_event(userId=victim), headers=bearer(issuer.token("user-42"))
    )
    assert answer.status_code == 403
    assert answer.headers["www-authenticate"].endswith('scope="events:write"')
    reader = bearer(issuer.token("analyst", ["events:read"]))
    assert auth_client.get(f"/events/{victim}", headers=reader).json()["events"] == []


def test_scopes_extend_one_action_to_every_user(
    auth_client: TestClient, issuer: LocalIssuer
) -> None:
    user = unique_user()
    forwarder = bearer(issuer.token("ingest-service", ["events:write"]))
    analyst = bearer(issuer.token("analyst", ["events:read"]))
    created = auth_client.post("/events", json=make_event(userId=user), headers=forwarder)
    assert created.status_code == 201
    assert auth_client.get(f"/events/{user}", headers=forwarder).status_code == 403
    assert auth_client.get(created.headers["location"], headers=analyst).status_code == 200
    assert auth_client.get(f"/events/{user}", headers=analyst).json()["events"] == [created.json()]
    other = make_event(userId=unique_user())
    assert auth_client.post("/events", json=other, headers=analyst).status_code == 403


@pytest.mark.slow
@pytest.mark.parametrize(
    "path", ["/health", "/health/ready", "/docs", "/redoc", "/openapi.json", "/graphql"]
)
def test_probes_and_docs_stay_public(auth_client: TestClient, path: str) -> None:
    answer = auth_client.get(path, headers={"Accept": "text/html"})
    assert answer.status_code == 200, answer.text


def test_a_silent_issuer_is_a_bounded_503_with_retry_after(
    silent_issuer_client: TestClient, issuer: LocalIssuer
) -> None:
    answer = silent_issuer_client.get("/events/user-42", headers=bearer(issuer.token("user-42")))
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "2"
    assert problem(answer) == {
        "type": "urn:eventlog:problem:auth-unavailable",
        "title": "Token issuer unavailable",
        "status": 503,
        "detail": "The token issuer's signing keys cannot be fetched right now; retry later.",
        "store": "auth",
    }


def test_tokens_signed_by_another_key_or_for_another_api_are_401(
    auth_client: TestClient, issuer: LocalIssuer
) -> None:
    forged = issuer.token("user-42", key=SigningKey.generate("RS256"))
    other_api = issuer.sign(
        {"iss": issuer.url, "aud": "another-api", "sub": "user-42", "exp": 2_000_000_000}
    )
    for token in (forged, other_api):
        answer = auth_client.get("/events/user-42", headers=bearer(token))
        assert answer.status_code == 401
        assert 'error="invalid_token"' in answer.headers["www-authenticate"]


def test_another_users_event_id_tells_a_caller_only_that_it_is_taken(
    auth_client: TestClient, issuer: LocalIssuer
) -> None:
    """eventIds are global (the idempotency key): reusing another user's is a 409 that names
    only the id, and neither reading nor erasing it under one's own userId finds it."""
    owner, other = unique_user(), unique_user()
    theirs = recorded(auth_client, issuer, owner)
    own = bearer(issuer.token(other))
    reused = make_event(userId=other, eventId=theirs["eventId"])
    answer = auth_client.post("/events", json=reused, headers=own)
    assert answer.status_code == 409
    assert owner not in answer.text and "details" not in answer.json()
    assert problem(answer)["detail"] == (
        f"Event {theirs['eventId']} already exists with different content; nothing was changed."
    )
    for method in ("GET", "DELETE"):
        missing = auth_client.request(method, f"/events/{other}/{theirs['eventId']}", headers=own)
        assert missing.status_code == 404
        assert owner not in missing.text
    stored = auth_client.get(
        f"/events/{owner}/{theirs['eventId']}", headers=bearer(issuer.token(owner))
    )
    assert stored.json() == theirs
