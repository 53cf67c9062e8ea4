"""One access table, two doors: for generated tokens (scopes in any combination, own or another
user's events) REST and GraphQL allow and refuse exactly the same operations, as the table says."""

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.app import create_app
from gateway.auth.dev_issuer import LocalIssuer, SigningKey
from gateway.auth.keys import JWKS_RETRY_SECONDS, JWKS_STALE_SECONDS
from gateway.settings import Settings
from tests.api.graphql.graphql_client import EVENTS, RECORD, error_codes, graphql
from tests.auth import Clock, StubJwks, authentication, bearer, with_issuer
from tests.factories import make_event, unique_user
from tests.strategies import jwks_entries

ONE = "query($u: String!, $e: ID!) { event(userId: $u, eventId: $e) { eventId } }"
SCOPES = ["events:read", "events:write", "events:delete", "openid"]


def rest_allows(client: TestClient, headers: dict[str, str], operation: str, user: str) -> bool:
    if operation == "record":
        answer = client.post("/events", json=make_event(userId=user), headers=headers)
    elif operation == "list":
        answer = client.get(f"/events/{user}", headers=headers)
    else:
        answer = client.get(f"/events/{user}/{uuid.uuid4()}", headers=headers)
    assert answer.status_code in {200, 201, 403, 404}, answer.text
    return answer.status_code != 403


def graphql_allows(client: TestClient, headers: dict[str, str], operation: str, user: str) -> bool:
    class Sender:
        def post(self, path: str, json: dict[str, Any]) -> Any:
            return client.post(path, json=json, headers=headers)

    if operation == "record":
        result = graphql(Sender(), RECORD, input=make_event(userId=user))
    elif operation == "list":
        result = graphql(Sender(), EVENTS, userId=user)
    else:
        result = graphql(Sender(), ONE, u=user, e=str(uuid.uuid4()))
    codes = error_codes(result)
    assert codes in ([], ["FORBIDDEN"]), result
    return codes == []


@pytest.mark.slow
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    scopes=st.sets(st.sampled_from(SCOPES)),
    own=st.booleans(),
    operation=st.sampled_from(["record", "list", "get"]),
)
def test_both_doors_follow_the_access_table(
    auth_client: TestClient, issuer: LocalIssuer, scopes: set[str], own: bool, operation: str
) -> None:
    subject = unique_user()
    target = subject if own else unique_user()
    needed = "events:write" if operation == "record" else "events:read"
    expected = own or needed in scopes
    headers = bearer(issuer.token(subject, sorted(scopes)))
    assert rest_allows(auth_client, headers, operation, target) is expected
    assert graphql_allows(auth_client, headers, operation, target) is expected


CACHE_SECONDS = 300


@pytest.fixture
def stub_jwks(issuer: LocalIssuer) -> Iterator[StubJwks]:
    issuer.keys.append(SigningKey.generate("ES256"))
    with StubJwks(issuer.jwks()) as jwks:
        yield jwks


@pytest.fixture
def stub_jwks_client(
    settings: Settings, issuer: LocalIssuer, stub_jwks: StubJwks, clock: Clock
) -> Iterator[TestClient]:
    checking = with_issuer(
        settings, issuer, auth_jwks_url=stub_jwks.url, auth_jwks_cache_seconds=CACHE_SECONDS
    )
    app = create_app(checking, authentication=authentication(checking, clock))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_whatever_else_a_jwks_holds_its_keys_tokens_verify_through_both_doors(
    stub_jwks_client: TestClient,
    stub_jwks: StubJwks,
    issuer: LocalIssuer,
    clock: Clock,
    data: st.DataObject,
) -> None:
    """Entries of any shape beside the issuer's keys are skipped; without a key we can use the
    issuer has failed (503 naming `auth`), or, when some entry is a key of its own, the token's
    key is not published (401). Never another answer."""
    good = issuer.jwks()["keys"]
    junk = data.draw(st.lists(jwks_entries(good), max_size=6), label="junk")
    with_good = data.draw(st.booleans(), label="with the issuer's keys")
    stub_jwks.document = {"keys": data.draw(st.permutations(junk + (good if with_good else [])))}
    # Past what any kept keys may serve for: this fetch decides.
    clock.advance(CACHE_SECONDS + JWKS_STALE_SECONDS + JWKS_RETRY_SECONDS)
    subject = unique_user()
    headers = bearer(issuer.token(subject, key=data.draw(st.sampled_from(issuer.keys))))
    rest = stub_jwks_client.get(f"/events/{subject}", headers=headers)
    query = stub_jwks_client.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
    if with_good:
        listed: dict[str, object] = {"userId": subject, "events": [], "nextCursor": None}
        assert (rest.status_code, rest.json()) == (200, listed)
        assert (query.status_code, query.json()) == (200, {"data": {"__typename": "Query"}})
        return
    assert (rest.status_code, query.status_code) in {(503, 503), (401, 401)}, rest.text
    if rest.status_code == 503:
        assert rest.json()["type"] == "urn:eventlog:problem:auth-unavailable"
        assert rest.json()["store"] == "auth"
        assert rest.headers["retry-after"] == query.headers["retry-after"] == "2"
        assert query.json()["errors"][0]["extensions"] == {
            "code": "SERVICE_UNAVAILABLE",
            "store": "auth",
        }
    else:
        assert "not one the issuer publishes" in rest.headers["www-authenticate"]
        assert error_codes(query.json()) == ["UNAUTHENTICATED"]
