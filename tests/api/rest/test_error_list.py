"""The error list of a `validation` problem as a client reads it: `detail` counts what is
listed, and says "at least" when the list stops at its bound (docs/rest.md, Errors and Limits);
a repeated key is judged before the other rules."""

from fastapi.testclient import TestClient

from schema.limits import MAX_REPORTED_ERRORS
from tests.factories import make_event

PROBLEM = "application/problem+json"


def test_a_list_cut_at_its_bound_says_there_may_be_more(client: TestClient) -> None:
    details = {f"k{n:03}": {"": n} for n in range(MAX_REPORTED_ERRORS + 20)}
    answer = client.post("/events", json=make_event(userId="user 42", details=details))
    assert answer.status_code == 422
    assert answer.headers["content-type"] == PROBLEM
    body = answer.json()
    assert len(body["errors"]) == MAX_REPORTED_ERRORS
    assert body["errors"][0] == {
        "field": "userId",
        "message": "String should match pattern '^[A-Za-z0-9._:@+|=-]{1,128}$'",
        "code": "string_pattern_mismatch",
    }
    assert body["detail"].startswith(
        f"at least {MAX_REPORTED_ERRORS} problems (only the first {MAX_REPORTED_ERRORS} are "
        'listed) in: details.k000[""], details.k001[""], '
    )


def test_a_list_under_its_bound_counts_every_problem(client: TestClient) -> None:
    details = {f"k{n:03}": {"": n} for n in range(MAX_REPORTED_ERRORS - 2)}
    answer = client.post("/events", json=make_event(userId="user 42", details=details))
    body = answer.json()
    assert len(body["errors"]) == MAX_REPORTED_ERRORS - 1
    assert body["detail"].startswith(f"{MAX_REPORTED_ERRORS - 1} problem(s) in: details.k000")


def test_a_repeated_key_is_answered_before_the_other_rules(client: TestClient) -> None:
    body = '{"userId": "user 42", "eventType": "click", "eventType": "view"}'
    answer = client.post("/events", content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 422
    assert answer.json()["detail"] == "1 problem(s) in: eventType"
    assert [error["code"] for error in answer.json()["errors"]] == ["duplicate_key"]


def test_the_size_of_details_is_judged_once_their_contents_break_no_other_rule(
    client: TestClient,
) -> None:
    large = {f"k{n}": "x" * 1000 for n in range(80)}  # 80 KB, over the 64 KiB limit
    broken = client.post("/events", json=make_event(userId="user 42", details={**large, "": 1}))
    assert [error["code"] for error in broken.json()["errors"]] == [
        "string_pattern_mismatch",
        "empty_key",
    ]
    whole = client.post("/events", json=make_event(userId="user 42", details=large))
    assert [error["code"] for error in whole.json()["errors"]] == [
        "string_pattern_mismatch",
        "too_large",
    ]
