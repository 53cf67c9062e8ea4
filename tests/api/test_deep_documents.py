"""Documents nested at any depth, anywhere in a body, through every door that records: a `422`
(or, in a batch, an `invalid` event beside the others that are stored) naming `too_deep`, never
a server error. Found by an outside tester: past about 495 levels our own walks of a body ran
out of Python's recursion and answered 500; the parser alone stops near 950."""

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schema.jsonvalue import MAX_WALKED_DEPTH
from tests.factories import unique_user

JSON = {"content-type": "application/json"}


def nested(depth: int, container: str) -> str:
    text = "1"
    for _ in range(depth):
        text = f'{{"l": {text}}}' if container == "object" else f"[{text}]"
    return text


def event_text(user: str, where: str, deep: str) -> str:
    if where == "details":
        return f'{{"userId": "{user}", "eventType": "x", "details": {{"d": {deep}}}}}'
    if where == "userId":
        return f'{{"userId": {deep}, "eventType": "x"}}'
    return f'{{"userId": "{user}", "eventType": "x", "extra": {deep}}}'


def codes(problem: dict[str, Any]) -> set[str]:
    return {error["code"] for error in problem.get("errors", [])}


DEPTHS = st.one_of(st.integers(33, 140), st.integers(400, 1100))
SHAPES = st.sampled_from(["object", "list"])
PLACES = st.sampled_from(["details", "userId", "extra"])


@pytest.mark.slow
@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(depth=DEPTHS, container=SHAPES, where=PLACES)
def test_rest_refuses_any_depth_with_a_422_for_one_event_and_invalid_in_a_batch(
    client: TestClient, depth: int, container: str, where: str
) -> None:
    user = unique_user()
    body = event_text(user, where, nested(depth, container))
    single = client.post("/events", content=body, headers=JSON)
    assert single.status_code == 422, single.text
    if where == "details" or depth > MAX_WALKED_DEPTH:
        assert "too_deep" in codes(single.json()), single.text
    batch = client.post(
        "/events/batch",
        content=f'{{"events": [{body}, {{"userId": "{user}", "eventType": "ok"}}]}}',
        headers=JSON,
    )
    if depth + 3 >= 900 and batch.status_code == 422:
        # Too deep for the parser: the body is not read, so the batch is refused whole.
        assert codes(batch.json()) == {"too_deep"}
        return
    assert batch.status_code == 200, batch.text
    outcomes = [result["outcome"] for result in batch.json()["results"]]
    assert outcomes == ["invalid", "created"]


@pytest.mark.slow
@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(depth=DEPTHS, container=SHAPES)
def test_graphql_refuses_any_depth_of_details_as_bad_input_never_an_internal_error(
    client: TestClient, depth: int, container: str
) -> None:
    query = (
        'mutation($d: JSON) { recordEvents(inputs: [{userId: "' + unique_user() + '", '
        'eventType: "x", details: $d}]) { outcome errors { code } } }'
    )
    # The variables written out: json.dumps would itself stop at Python's recursion limit.
    body = '{"query": ' + json.dumps(query) + ', "variables": {"d": {"d": '
    body += nested(depth, container) + "}}}"
    answer = client.post("/graphql", content=body, headers=JSON)
    text = answer.text
    assert "INTERNAL_SERVER_ERROR" not in text
    if answer.status_code == 400:  # too deep for the parser: not a JSON document we can read
        assert json.loads(text)["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
        return
    assert answer.status_code == 200, text
    assert answer.json()["data"]["recordEvents"] == [
        {"outcome": "INVALID", "errors": [{"code": "too_deep"}]}
    ]


@pytest.mark.parametrize("depth", [120, 600])
def test_a_deep_document_that_also_repeats_a_key_is_refused_for_its_depth(
    client: TestClient, depth: int
) -> None:
    deep = nested(depth, "object").replace("1", '{"a": 1, "a": 2}', 1)
    answer = client.post(
        "/events", content=event_text(unique_user(), "details", deep), headers=JSON
    )
    assert answer.status_code == 422
    assert codes(answer.json()) == {"too_deep"}
