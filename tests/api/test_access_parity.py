"""One access table, two doors: for generated tokens (scopes in any combination, own or another
user's events) REST and GraphQL allow and refuse exactly the same operations, as the table says."""

import uuid
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.auth.dev_issuer import LocalIssuer
from tests.api.graphql.graphql_client import EVENTS, RECORD, error_codes, graphql
from tests.auth import bearer
from tests.factories import make_event, unique_user

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
