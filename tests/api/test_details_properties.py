"""Generated `details` through both doors against both DynamoDB emulators: every document is
stored and read back equal on every read path, or refused with 422 naming the rule it breaks;
never a server error. The expected outcome comes from an oracle written without the rules."""

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import event, given, note, settings

from tests.api.two_doors import RECORDERS, details_on_every_read_path
from tests.factories import unique_user
from tests.strategies import (
    assert_same_json,
    details_documents,
    expected_codes,
    normal_json,
    request_body,
)


@pytest.mark.slow
@pytest.mark.parametrize("door", sorted(RECORDERS))
@settings(max_examples=120)
@given(details=details_documents())
def test_details_are_stored_and_read_back_equal_or_refused_naming_the_rule(
    emulator_client: TestClient, door: str, details: dict[str, Any]
) -> None:
    record = RECORDERS[door]
    user, event_id = unique_user(), str(uuid.uuid4())
    body = {"eventId": event_id, "userId": user, "eventType": "generated", "details": details}
    note(f"details as sent: {request_body(details)[:2000]!r}")  # shown when the example fails
    answer = record(emulator_client, body)
    refused = expected_codes(details)
    event("refused: " + ", ".join(sorted(refused)) if refused else "stored")  # the mix, in stats
    if refused:
        assert answer.status == 422, answer
        errors = answer.body["errors"]
        assert {error["code"] for error in errors} == refused, errors
        assert all(error["field"].startswith("details") for error in errors), errors
        assert emulator_client.get(f"/events/{user}").json()["events"] == []
        return
    assert answer.status == 201, answer
    stored = normal_json(details)
    assert_same_json(answer.body["details"], stored)
    for path, read in details_on_every_read_path(emulator_client, user, event_id).items():
        assert_same_json(read, stored, path)
    replay = record(emulator_client, body)
    assert (replay.status, replay.body) == (200, answer.body)
