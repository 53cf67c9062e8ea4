"""Domain errors: raised below the gateway, mapped to HTTP and GraphQL in one place each."""

import json
from dataclasses import dataclass
from typing import Literal

from schema.limits import MAX_REPORTED_ERRORS

StoreName = Literal["metadata", "details"]
_PATH_SYNTAX = frozenset(".[]")


@dataclass(frozen=True)
class FieldError:
    """One offending field: a dotted path (`details.a[0].b`), a sentence, and a stable code."""

    field: str
    message: str
    code: str


class EventLogError(Exception):
    """Base of every error the API answers on purpose."""


def child_path(path: str, key: str) -> str:
    """`details.a` for plain keys; `details[""]`, `details["a.b"]` where a dot would mislead.
    At the root (`path` empty) a plain key is the path itself: `userId`."""
    encodable = is_encodable(key)
    if key and encodable and not _PATH_SYNTAX.intersection(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key, ensure_ascii=not encodable)}]"


def is_encodable(text: str) -> bool:
    """Whether `text` is valid Unicode (no unpaired surrogates), i.e. encodes as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def offending_fields(errors: list[FieldError]) -> str:
    """The fields named by `errors`, once each, sorted: for one-line summaries."""
    return ", ".join(sorted({error.field or "(body)" for error in errors}))


def problems_summary(errors: list[FieldError]) -> str:
    """`detail`'s one line for a validation answer: how many problems and where. The rules stop
    listing at MAX_REPORTED_ERRORS, so a list that long may stand for more."""
    count = len(errors)
    if count >= MAX_REPORTED_ERRORS:
        counted = f"at least {count} problems (only the first {count} are listed)"
    else:
        counted = f"{count} problem(s)"
    return f"{counted} in: {offending_fields(errors)}"


class InvalidInput(EventLogError):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(f"Invalid input: {offending_fields(errors)}")
        self.errors = errors


class EventConflict(EventLogError):
    def __init__(self, event_id: str) -> None:
        super().__init__(
            f"Event {event_id} already exists with different content; nothing was changed."
        )
        self.event_id = event_id


class EventNotFound(EventLogError):
    def __init__(self, user_id: str, event_id: str) -> None:
        super().__init__(f"User {user_id!r} has no event {event_id}.")


class InvalidCursor(EventLogError):
    def __init__(self) -> None:
        super().__init__(
            "The cursor is malformed, was altered, or belongs to a query with other filters; "
            "start again without a cursor."
        )


class StoreUnavailable(EventLogError):
    """A store refused, failed or timed out. `in_doubt`: a write may have committed anyway."""

    def __init__(
        self, store: StoreName, *, in_doubt: bool = False, detail: str | None = None
    ) -> None:
        super().__init__(
            detail or f"The {store} store is unavailable; retry the same request later."
        )
        self.store = store
        self.in_doubt = in_doubt


class EventBeingErased(StoreUnavailable):
    """A write met its eventId while an erasure of it is under way: answered as the store's
    503, since the same request succeeds once the erasure ends (the event is then recorded
    anew)."""

    def __init__(self, event_id: str) -> None:
        detail = f"Event {event_id} is being erased; retry the same request later."
        super().__init__("metadata", detail=detail)
        self.event_id = event_id


class Unauthenticated(EventLogError):
    """No usable bearer token. `error` is RFC 6750's code: None when no token was sent at all
    (the client may not know it needs one), `invalid_token` when the one sent fails a check."""

    def __init__(
        self,
        description: str = "This operation needs a token: send Authorization: Bearer <token>.",
        *,
        error: Literal["invalid_token"] | None = None,
    ) -> None:
        super().__init__(description)
        self.description = description
        self.error = error


class Forbidden(EventLogError):
    """A valid token that may not do this to this user's events. `scope` is the one that would."""

    def __init__(self, verb: str, user_id: str, scope: str) -> None:
        super().__init__(
            f"This token may not {verb} the events of user {user_id!r}: only that user's own "
            f"token may, or one with the scope {scope}."
        )
        self.scope = scope


class IssuerUnavailable(EventLogError):
    """The token issuer's keys (its JWKS) could not be fetched in time, and none are cached.
    Answered as the unavailable store it is, by name: `store` is `auth`."""

    store: Literal["auth"] = "auth"

    def __init__(self) -> None:
        super().__init__(
            "The token issuer's signing keys cannot be fetched right now; retry later."
        )
