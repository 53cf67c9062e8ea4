"""Batches of events (`POST /events/batch`, `recordEvents`): the envelope's rules. Each event of
a batch is held to exactly `parse_event_create`'s rules; what became of it is a
`schema.outcome.EventResult`."""

from typing import Any

from schema.errors import FieldError, InvalidInput
from schema.jsonvalue import repeated_keys
from schema.limits import Limits

BATCH_KEY = "events"


def parse_batch(raw: Any, limits: Limits) -> list[Any]:
    """The events of a batch body, each still to be judged on its own. The envelope itself must
    hold: an object with `events` only, a list of 1 to `limits.max_batch_events` items."""
    if not isinstance(raw, dict):
        raise InvalidInput(
            [FieldError("", 'the body must be a JSON object: {"events": [...]}', "object_type")]
        )
    if repeated := repeated_keys(raw, nested=False):
        raise InvalidInput(repeated)
    errors = [
        FieldError(key, "not a member of a batch: send only `events`", "extra_forbidden")
        for key in raw
        if key != BATCH_KEY
    ]
    events = raw.get(BATCH_KEY)
    most = limits.max_batch_events
    if BATCH_KEY not in raw:
        errors.append(FieldError(BATCH_KEY, "a batch needs `events`, a list", "missing"))
    elif not isinstance(events, list):
        errors.append(FieldError(BATCH_KEY, "`events` must be a list of events", "list_type"))
    elif not 1 <= len(events) <= most:
        code = "too_short" if not events else "too_long"
        message = f"a batch holds 1 to {most} events; this one holds {len(events)}"
        errors.append(FieldError(BATCH_KEY, message, code))
    if errors:
        raise InvalidInput(errors)
    assert isinstance(events, list)
    return events
