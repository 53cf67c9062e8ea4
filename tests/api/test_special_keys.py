"""Keys that JavaScript or Python give a meaning of their own (`__proto__`, `constructor`,
`toString`, `__class__`, `__dict__`, ...) and keys that look empty (zero-width space, BOM, a
lone combining mark, NBSP, ...) are data like any other key: details holding them at any depth
are stored and answered exactly as sent, by every write and every read, against both DynamoDB
emulators, and the details table holds them as sent."""

import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import example, given, note, settings

from gateway.settings import Settings
from gateway.stores import dynamodb_client
from persistence.attribute_values import from_attribute
from tests.api.two_doors import WRITERS, details_on_every_read_path
from tests.factories import unique_user
from tests.strategies import (
    SPECIAL_KEYS,
    assert_same_json,
    expected_codes,
    normal_json,
    request_body,
    special_key_documents,
)

# The samples the defect was reported with, and every special key in one object, at the top,
# inside an object and inside a list.
REPORTED = [{"__proto__": "x"}, {"n": {"__proto__": 5}}, {"__proto__": ""}]
ALL_AT_ONCE = {
    **{key: index for index, key in enumerate(SPECIAL_KEYS)},
    "nested": dict.fromkeys(SPECIAL_KEYS, ""),
    "listed": [dict.fromkeys(SPECIAL_KEYS, Decimal("1.5"))],
}


@pytest.fixture
def stored_details(emulator_settings: Settings) -> Callable[[str], Any]:
    """The details of an event's item as the details table holds them."""
    client = dynamodb_client(emulator_settings, emulator_settings.dynamodb_endpoint)

    def read(event_id: str) -> Any:
        item = client.get_item(
            TableName=emulator_settings.details_table,
            Key={"eventId": {"S": event_id}},
            ConsistentRead=True,
        )["Item"]
        return from_attribute(item["details"])

    return read


@pytest.mark.slow
@pytest.mark.parametrize("write", sorted(WRITERS))
@settings(max_examples=10)
@given(details=special_key_documents())
@example(details=REPORTED[0])
@example(details=REPORTED[1])
@example(details=REPORTED[2])
@example(details=ALL_AT_ONCE)
def test_special_keys_are_stored_and_read_back_exactly_as_sent(
    emulator_client: TestClient,
    stored_details: Callable[[str], Any],
    write: str,
    details: dict[str, Any],
) -> None:
    assert not expected_codes(details), "the strategy makes valid details only"
    user, event_id = unique_user(), str(uuid.uuid4())
    body = {"eventId": event_id, "userId": user, "eventType": "special", "details": details}
    note(f"details as sent: {request_body(details)[:2000]!r}")
    answer = WRITERS[write](emulator_client, body)
    assert answer.status == 201, answer
    sent = normal_json(details)  # numbers as every answer spells them
    assert_same_json(answer.body["details"], sent)
    assert_same_json(stored_details(event_id), sent, "stored")
    for path, read in details_on_every_read_path(emulator_client, user, event_id).items():
        assert_same_json(read, sent, path)
    replay = WRITERS[write](emulator_client, body)
    assert (replay.status, replay.body) == (200, answer.body)
