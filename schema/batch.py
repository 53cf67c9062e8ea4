"""Batches of events (`POST /events/batch`, `recordEvents`): the envelope's rules and what can
become of each event. Each event of a batch is held to exactly `parse_event_create`'s rules."""

from enum import StrEnum
from typing import Any

from schema.errors import FieldError, InvalidInput
from schema.jsonvalue import repeated_keys
from schema.limits import Limits

BATCH_KEY = "events"


class BatchOutcome(StrEnum):
    """What became of one event of a batch (REST's `outcome`, GraphQL's in capitals)."""

    CREATED = "created"  # stored now
    REPLAYED = "replayed"  # already stored with this content: nothing written
    CONFLICT = "conflict"  # its eventId is stored with other content: nothing changed
    INVALID = "invalid"  # breaks a rule: the errors are those of a single POST's 422
    FORBIDDEN = "forbidden"  # the caller may not record for its userId


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
