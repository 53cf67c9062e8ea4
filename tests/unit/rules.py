"""Judging an event body the way the write path does, at a fixed time."""

from datetime import UTC, datetime
from typing import Any

import pytest

from schema.errors import FieldError, InvalidInput
from schema.events import parse_event_create
from schema.limits import Limits

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


LIMITS = Limits()


def errors_of(body: Any, limits: Limits = LIMITS) -> list[FieldError]:
    with pytest.raises(InvalidInput) as caught:
        parse_event_create(body, limits, NOW)
    return caught.value.errors
