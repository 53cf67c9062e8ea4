"""What the OpenAPI description says of each REST operation: its summary, description, parameters,
request examples and every answer it documents, in one place, so that the routes
(gateway/rest/events.py) read as routes. The texts are docs/rest.md's, word for word
(tests/api/rest/test_openapi.py compares them).

The example answers are not written here: `problems.problem_responses` renders each error with
the code that answers it, and a test compares them with the answers docs/rest.md prints.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import status
from pydantic import BaseModel, Field

from gateway.deps import OPERATION_SECURITY
from gateway.errors import MalformedBody
from gateway.middleware.body_guard import BodyReadTimeout, PayloadTooLarge
from gateway.rest.body import UNSUPPORTED_MEDIA_TYPE_ANSWER
from gateway.rest.problems import (
    ProblemBody,
    ValidationProblemBody,
    problem_responses,
)
from schema.access import Action
from schema.batch import parse_batch
from schema.erasure import ERASE_LIMIT_RULES, parse_erasure
from schema.errors import (
    EventConflict,
    EventNotFound,
    Forbidden,
    InvalidCursor,
    InvalidInput,
    StoreUnavailable,
    Unauthenticated,
)
from schema.events import (
    EXAMPLE_EVENT_ID,
    EXAMPLE_USER_ID,
    USER_ID_RULES,
    Event,
    EventCreate,
    EventListQuery,
    EventPage,
    parse_event_create,
    parse_listing,
    parse_user_id,
)
from schema.jsonvalue import parse_json
from schema.limits import (
    DEFAULT_BODY_READ_TIMEOUT_SECONDS,
    DEFAULT_MAX_BATCH_BODY_BYTES,
    MAX_BATCH_EVENTS,
    USER_ID_PATTERN,
    Limits,
)
from schema.outcome import Outcome

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


def operation(**texts: Any) -> dict[str, Any]:
    """An operation's OpenAPI texts, as the route's decorator takes them."""
    return texts


def path_parameter(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """A path parameter of the OpenAPI description: the routes read the path themselves, so
    that one answer can name every offending parameter, and after the caller is known."""
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "string", **schema},
        "description": schema["description"],
    }


USER_ID_PARAMETER = path_parameter(
    "userId",
    {"pattern": USER_ID_PATTERN, "description": USER_ID_RULES, "examples": [EXAMPLE_USER_ID]},
)


EVENT_ID_PARAMETER = path_parameter(
    "eventId", {"description": "The event's UUID.", "examples": [EXAMPLE_EVENT_ID]}
)


def operation_extra(*parameters: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The OpenAPI entries every operation adds to what FastAPI derives: its parameters and
    the bearer scheme Swagger UI's Authorize fills in."""
    return {"parameters": list(parameters), "security": OPERATION_SECURITY, **extra}


# The texts below are docs/rest.md's, word for word: tests/api/rest/test_openapi.py compares them.
_UNAVAILABLE = StoreUnavailable("metadata")


_UNAVAILABLE_TEXT = (
    "A store, or the token issuer's keys, is unavailable (`unavailable`, `auth-unavailable`); "
    "retry after `Retry-After` seconds."
)


_UNAUTHENTICATED_TEXT = (
    "No bearer token, or one that is expired, not yet valid, for another issuer or audience, "
    "or not signed by the issuer (`unauthenticated`); `WWW-Authenticate` says which."
)


def unavailable_answer(text: str = _UNAVAILABLE_TEXT) -> tuple[str, Exception]:
    """The 503 of a read (or, given its `text`, an erasure), documented with the error that
    answers it."""
    return text, _UNAVAILABLE


def access_answers(action: Action, when_forbidden: str) -> dict[int, tuple[str, Exception]]:
    """The 401 and 403 of an operation, documented with the errors that answer them."""
    forbidden = Forbidden(action.verb, EXAMPLE_USER_ID, action.scope)
    return {401: (_UNAUTHENTICATED_TEXT, Unauthenticated()), 403: (when_forbidden, forbidden)}


_READ_FORBIDDEN = (
    "The token's subject is not this `userId` and it lacks the scope `events:read` "
    "(`forbidden`), whether or not the user has events."
)


# OpenAPI links: where a recorded event can be read (clients and schemathesis follow them).
_RECORDED_EVENT_LINKS = {
    "GetEvent": {
        "operationId": "get_event_events__userId___eventId__get",
        "parameters": {"userId": "$response.body#/userId", "eventId": "$response.body#/eventId"},
        "description": "The event just recorded.",
    },
    "ListEvents": {
        "operationId": "list_events_events__userId__get",
        "parameters": {"userId": "$response.body#/userId"},
        "description": "The history of the event's user.",
    },
}


def listing_parameters() -> list[dict[str, Any]]:
    """EventListQuery's fields as OpenAPI query parameters. The route reads the query string
    itself: a FastAPI query model keeps the last of repeated values, hiding the repetition."""
    schema = EventListQuery.model_json_schema(by_alias=True)
    return [
        {
            "name": name,
            "in": "query",
            "required": False,
            "schema": field,
            "description": field["description"],
        }
        for name, field in schema["properties"].items()
    ]


class BatchResult(BaseModel):
    index: int = Field(description="The event's place in `events`, from 0.", examples=[0])
    outcome: str = Field(
        json_schema_extra={"enum": [outcome.value for outcome in Outcome]},
        description=(
            "`created` (stored now), `replayed` (already stored with this content), `conflict` "
            "(the `eventId` is stored with other content), `invalid` (breaks a rule), "
            "`forbidden` (the token may not record for this `userId`)."
        ),
        examples=["created"],
    )
    event: Event | None = Field(
        None, description="The stored Event: `created` and `replayed` only."
    )
    problem: ValidationProblemBody | ProblemBody | None = Field(
        None,
        description=(
            "What a single `POST /events` would have answered: `conflict`, `invalid` (with "
            "`errors`) and `forbidden` only."
        ),
    )


class BatchCounts(BaseModel):
    created: int
    replayed: int
    conflict: int
    invalid: int
    forbidden: int


class BatchAnswer(BaseModel):
    results: list[BatchResult] = Field(description="One per event, in request order.")
    counts: BatchCounts = Field(description="How many events had each outcome.")


class ErasureAnswer(BaseModel):
    user_id: str = Field(alias="userId", examples=[EXAMPLE_USER_ID])
    deleted: int = Field(description="Events erased by this call.", examples=[2])
    more: bool = Field(
        description="Whether the user has events left: call again until it is `false`.",
        examples=[False],
    )


_BATCH_EXAMPLE = {
    "events": [
        {
            "eventId": EXAMPLE_EVENT_ID,
            "userId": EXAMPLE_USER_ID,
            "eventType": "page_view",
            "details": {"page": "/pricing"},
        },
        {"userId": EXAMPLE_USER_ID, "eventType": "click"},
    ]
}


_BATCH_SCHEMA = {
    "type": "object",
    "required": ["events"],
    "additionalProperties": False,
    "properties": {
        "events": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_BATCH_EVENTS,
            # Any JSON: an item is judged as an event on its own (`invalid` in `results`), never
            # refused with the batch.
            "items": {},
            "description": (
                "1 to 500 events, each a `POST /events` body; one that breaks its rules is "
                "answered `invalid` in `results`."
            ),
        }
    },
}


_DELETE_FORBIDDEN = (
    "The token's subject is not this `userId` and it lacks the scope `events:delete` "
    "(`forbidden`), whether or not the user has events."
)


_EVENT_ERASURE_UNFINISHED = (
    "A store, or the token issuer's keys, is unavailable (`unavailable`, `auth-unavailable`), "
    "or another call is erasing the same event: the erasure is not finished, though no answer "
    "shows the event any more. Repeat the same `DELETE` after `Retry-After` seconds until it "
    "answers `204` (or `404`: another call finished it)."
)


_USER_ERASURE_UNFINISHED = (
    "A store, or the token issuer's keys, is unavailable (`unavailable`, `auth-unavailable`): "
    "the erasure is not finished, though no answer shows the events it reached any more. Repeat "
    "the same `DELETE` after `Retry-After` seconds: it finishes those first."
)


RECORD_EVENT = operation(
    tags=["events"],
    status_code=status.HTTP_201_CREATED,
    response_model=Event,
    summary="Record an event",
    description=(
        "Records one event: its metadata in SQL, its `details` in DynamoDB. Give an `eventId` "
        "to make retries safe: the same request again answers `200` with the stored event, the "
        "same `eventId` with other content `409`. Everything the stores would refuse is "
        "refused here first, before anything is written."
    ),
    openapi_extra=operation_extra(
        requestBody={
            "required": True,
            "content": {
                "application/json": {
                    "schema": EventCreate.model_json_schema(),
                    "examples": RECORD_EXAMPLES,
                }
            },
        }
    ),
    response_description=(
        "Stored. `Location` names the new event (a path, under the API's base path when it has "
        "one); the body is the Event."
    ),
    responses={
        201: {"links": _RECORDED_EVENT_LINKS},
        200: {
            "model": Event,
            "description": (
                "A replay: this `eventId` is already stored with the same content. "
                "The body is the stored Event; nothing was written."
            ),
        },
        **problem_responses(
            {
                400: ("The body is not UTF-8 JSON (`malformed-json`).", MalformedBody()),
                409: (
                    "The `eventId` is already stored with other content (`conflict`); "
                    "nothing changed.",
                    EventConflict(EXAMPLE_EVENT_ID),
                ),
                408: (
                    "The body did not arrive within 10 s (`body-timeout`, "
                    "`EVENTLOG_BODY_READ_TIMEOUT_SECONDS`); the connection is closed.",
                    BodyReadTimeout(DEFAULT_BODY_READ_TIMEOUT_SECONDS),
                ),
                413: (
                    "The body is over twice the details limit + 16 KiB, 147,456 bytes by default "
                    "(`too-large`), judged before it is parsed; the connection is closed.",
                    PayloadTooLarge(Limits().max_body_bytes),
                ),
                415: UNSUPPORTED_MEDIA_TYPE_ANSWER,
                422: (
                    "The body breaks a rule (`validation`); `errors` lists every offending field.",
                    invalid_event_errors(),
                ),
                **access_answers(
                    Action.RECORD,
                    "The token's subject is not the body's `userId` and it lacks the scope "
                    "`events:write` (`forbidden`); nothing was stored.",
                ),
                503: (
                    "A store is down, throttled or too slow, or an erasure of this `eventId` is "
                    "under way (`unavailable`), or the token issuer's keys cannot be fetched "
                    "(`auth-unavailable`); `Retry-After` says when to retry. Nothing became "
                    "visible: repeat the same request (same `eventId`) and it is stored exactly "
                    "once.",
                    StoreUnavailable("details"),
                ),
            }
        ),
    },
)


LIST_EVENTS = operation(
    tags=["events"],
    response_model=EventPage,
    summary="List a user's events",
    description=(
        "A page of the user's events with their details, newest first by `timestamp` (ties in "
        "ascending `eventId` order). Walk `nextCursor` until it is `null` to read every "
        "matching event exactly once, even while new ones arrive."
    ),
    response_description="A page; `events` is empty for a user with none.",
    openapi_extra=operation_extra(USER_ID_PARAMETER, *listing_parameters()),
    responses=problem_responses(
        {
            400: (
                "The cursor is malformed, altered, or from another user or other filters "
                "(`invalid-cursor`).",
                InvalidCursor(),
            ),
            422: (
                "A bad `userId`, `limit`, `eventType`, `from` or `to`, or a parameter other "
                "than `eventType` given twice (`validation`); `errors` lists each.",
                rejection(lambda: parse_listing(EXAMPLE_USER_ID, {"limit": ["0"]})),
            ),
            **access_answers(Action.READ, _READ_FORBIDDEN),
            503: (_UNAVAILABLE_TEXT, _UNAVAILABLE),
        }
    ),
)


GET_EVENT = operation(
    tags=["events"],
    response_model=Event,
    summary="Get one event",
    description="One event of the user, with its details.",
    response_description="The Event.",
    openapi_extra=operation_extra(USER_ID_PARAMETER, EVENT_ID_PARAMETER),
    responses=problem_responses(
        {
            404: (
                "This user has no such event (`not-found`), also when it belongs to another "
                "user or the `eventId` is not a UUID.",
                EventNotFound(EXAMPLE_USER_ID, EXAMPLE_EVENT_ID),
            ),
            422: (
                "A malformed `userId` (`validation`).",
                rejection(lambda: parse_user_id("user 42")),
            ),
            **access_answers(Action.READ, _READ_FORBIDDEN),
            503: (_UNAVAILABLE_TEXT, _UNAVAILABLE),
        }
    ),
)


RECORD_EVENTS = operation(
    tags=["events"],
    response_model=BatchAnswer,
    summary="Record a batch of events",
    description=(
        "Records up to 500 events in one request, each exactly as `POST /events` would: the "
        "same rules, the same idempotency by `eventId`, the same access rule per event. One "
        "bad event never sinks the others: `results` tells each event's fate, in request "
        "order. The new events become visible together, in one SQL commit."
    ),
    openapi_extra=operation_extra(
        requestBody={
            "required": True,
            "content": {
                "application/json": {
                    "schema": _BATCH_SCHEMA,
                    "examples": {"mixed": {"summary": "Two events", "value": _BATCH_EXAMPLE}},
                }
            },
        }
    ),
    response_description="Every event was judged; `results` says how each one ended.",
    responses=problem_responses(
        {
            400: ("The body is not UTF-8 JSON (`malformed-json`).", MalformedBody()),
            408: (
                "The body did not arrive within 10 s (`body-timeout`); the connection is closed.",
                BodyReadTimeout(DEFAULT_BODY_READ_TIMEOUT_SECONDS),
            ),
            413: (
                "The body is over 1 MiB, 1,048,576 bytes by default (`too-large`, "
                "`EVENTLOG_BATCH_MAX_BODY_BYTES`); the connection is closed.",
                PayloadTooLarge(DEFAULT_MAX_BATCH_BODY_BYTES),
            ),
            415: UNSUPPORTED_MEDIA_TYPE_ANSWER,
            422: (
                "The envelope breaks a rule: not an object, no `events` list, a member other "
                "than `events`, or not 1 to 500 events (`validation`). Events that break a "
                "rule are answered in `results` instead.",
                rejection(lambda: parse_batch({"events": []}, Limits())),
            ),
            # An event the token may not record is `forbidden` in `results`: never a 403.
            401: access_answers(Action.RECORD, "")[401],
            503: (
                "A store is down, throttled or too slow, or an erasure of one of its `eventId`s "
                "is under way (`unavailable`), or the token issuer's keys cannot be fetched "
                "(`auth-unavailable`). No event of the batch became visible: repeat the same "
                "batch and each event with an `eventId` is stored exactly once.",
                StoreUnavailable("details"),
            ),
        }
    ),
)


DELETE_EVENT = operation(
    tags=["events"],
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Erase one event",
    description=(
        "Erases one event of the user from both stores: no answer shows it from the first "
        "step on, and `204` means nothing of it is left. A later `POST` of the same `eventId` "
        "records it anew."
    ),
    response_description="Erased; no body.",
    openapi_extra=operation_extra(USER_ID_PARAMETER, EVENT_ID_PARAMETER),
    responses=problem_responses(
        {
            404: (
                "This user has no such event (`not-found`), also when it was erased already, "
                "belongs to another user, or the `eventId` is not a UUID.",
                EventNotFound(EXAMPLE_USER_ID, EXAMPLE_EVENT_ID),
            ),
            422: (
                "A malformed `userId` (`validation`).",
                rejection(lambda: parse_erasure("user 42", {}, Limits())),
            ),
            **access_answers(Action.DELETE, _DELETE_FORBIDDEN),
            503: unavailable_answer(_EVENT_ERASURE_UNFINISHED),
        }
    ),
)


ERASE_USER = operation(
    tags=["events"],
    response_model=ErasureAnswer,
    summary="Erase a user's events",
    description=(
        "Erases up to `limit` of the user's events from both stores, newest first (at most "
        "1000 a call, `EVENTLOG_ERASE_MAX_EVENTS`), so that each call ends well within the "
        "request's time; events whose erasure an earlier call left unfinished come first. "
        "Call again while `more` is `true`."
    ),
    openapi_extra=operation_extra(
        USER_ID_PARAMETER,
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
            "description": ERASE_LIMIT_RULES,
        },
    ),
    response_description="How many events this call erased, and whether any are left.",
    responses=problem_responses(
        {
            422: (
                "A malformed `userId`, or a `limit` that is not 1 to 1000 or is given twice "
                "(`validation`).",
                rejection(lambda: parse_erasure(EXAMPLE_USER_ID, {"limit": ["0"]}, Limits())),
            ),
            **access_answers(Action.DELETE, _DELETE_FORBIDDEN),
            503: unavailable_answer(_USER_ERASURE_UNFINISHED),
        }
    ),
)
