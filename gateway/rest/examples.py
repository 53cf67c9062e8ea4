"""The example requests the OpenAPI description shows, the same ones docs/rest.md runs.

The example answers are not written here: `problems.problem_responses` renders each error with
the code that answers it, and a test compares them with the answers docs/rest.md prints.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from schema.errors import InvalidInput
from schema.events import EXAMPLE_EVENT_ID, EXAMPLE_USER_ID, parse_event_create
from schema.jsonvalue import parse_json
from schema.limits import Limits

RECORD_EXAMPLES: dict[str, dict[str, Any]] = {
    "full": {
        "summary": "Every field, with your own eventId as the idempotency key",
        "value": {
            "eventId": EXAMPLE_EVENT_ID,
            "userId": EXAMPLE_USER_ID,
            "eventType": "page_view",
            "timestamp": "2026-11-24T09:30:00.250+01:00",
            "details": {"page": "/pricing", "durationMs": 5120, "price": 19.90},
        },
    },
    "minimal": {
        "summary": "Only the required fields: the server makes the eventId and timestamp",
        "value": {"userId": EXAMPLE_USER_ID, "eventType": "click"},
    },
}

# Three rules broken at once: the answer lists each (docs/rest.md, "POST /events").
INVALID_EVENT_JSON = (
    b'{"userId": "user 42", "details": {"items": [{}, {}, '
    b'{"price": 1.234567890123456789012345678901234567890}]}}'
)


def rejection(check: Callable[[], object]) -> InvalidInput:
    """The `InvalidInput` the rules raise for an example input, to show as its answer."""
    try:
        check()
    except InvalidInput as exc:
        return exc
    raise RuntimeError("the invalid example passed the rules")


def invalid_event_errors() -> InvalidInput:
    raw = parse_json(INVALID_EVENT_JSON)
    return rejection(lambda: parse_event_create(raw, Limits(), datetime.now(UTC)))
