"""Erasing a user's history (`DELETE /events/{userId}`): its parameters' rules."""

from collections.abc import Mapping, Sequence
from typing import Any

from schema.errors import FieldError, InvalidInput
from schema.events import parse_user_id
from schema.limits import Limits

ERASE_LIMIT_RULES = "Events to erase in this call, newest first: 1 to the server's bound (1000)."


def parse_erasure(
    user_id: str, given: Mapping[str, Sequence[Any]], limits: Limits
) -> tuple[str, int]:
    """The userId and how many events to erase now (at most `limits.max_erase_events`),
    naming every offending parameter."""
    errors: list[FieldError] = []
    try:
        user_id = parse_user_id(user_id)
    except InvalidInput as exc:
        errors.extend(exc.errors)
    most = limits.max_erase_events
    limit = most
    values = list(given.get("limit", ()))
    if len(values) > 1:
        message = f"`limit` is given {len(values)} times; give it once"
        errors.append(FieldError("limit", message, "repeated_parameter"))
    elif values:
        text = str(values[0])
        if not (text.isascii() and text.isdigit() and 1 <= int(text) <= most):
            errors.append(
                FieldError("limit", f"`limit` must be an integer from 1 to {most}", "erase_limit")
            )
        else:
            limit = int(text)
    if errors:
        raise InvalidInput(errors)
    return user_id, limit
