"""Valid events and unique ids, so each test states only what matters to it."""

import uuid
from typing import Any


def unique_user() -> str:
    return f"user-{uuid.uuid4().hex[:12]}"


def make_event(**overrides: Any) -> dict[str, Any]:
    """A valid `POST /events` body; keys given override (None removes the key)."""
    body: dict[str, Any] = {
        "userId": unique_user(),
        "eventType": "page_view",
        "details": {"page": "/pricing", "durationMs": 5120},
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}
