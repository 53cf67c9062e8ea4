"""REST routes: parse the transport, call the resolver, shape the response. Nothing else."""

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, status
from fastapi.concurrency import run_in_threadpool

from gateway.assets import root_path
from gateway.deps import OPERATION_SECURITY, caller_of, resolver_of
from gateway.errors import MalformedBody
from gateway.middleware.body_guard import BodyReadTimeout, PayloadTooLarge
from gateway.responses import ExactJSONResponse
from gateway.rest.body import UNSUPPORTED_MEDIA_TYPE_ANSWER, read_json_body
from gateway.rest.examples import RECORD_EXAMPLES, invalid_event_errors, rejection
from gateway.rest.problems import problem_responses
from schema.access import Action
from schema.errors import (
    EventConflict,
    EventNotFound,
    Forbidden,
    InvalidCursor,
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
    parse_listing,
    parse_user_id,
)
from schema.limits import DEFAULT_BODY_READ_TIMEOUT_SECONDS, USER_ID_PATTERN, Limits

router = APIRouter()


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


def query_values(request: Request) -> dict[str, list[str]]:
    """Every value each query parameter was given, in order (a repeated one is seen as such)."""
    given: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        given.setdefault(name, []).append(value)
    return given


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


@router.post(
    "/events",
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
async def record_event(request: Request) -> ExactJSONResponse:
    # The caller comes first: a stranger is told 401 before anything about the body.
    caller = await caller_of(request)
    body = await read_json_body(request)
    result = await run_in_threadpool(resolver_of(request).record_event, body, caller=caller)
    event = result.stored()
    if not result.created:
        return ExactJSONResponse(event.to_json(), status_code=status.HTTP_200_OK)
    # Under an API Gateway base path the client must be sent back under it too.
    location = f"{root_path(request)}/events/{quote(event.user_id, safe=':@+=')}/{event.event_id}"
    return ExactJSONResponse(
        event.to_json(), status_code=status.HTTP_201_CREATED, headers={"Location": location}
    )


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


@router.get(
    "/events/{userId}",
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
async def list_events(request: Request) -> ExactJSONResponse:
    caller = await caller_of(request)
    user_id = request.path_params["userId"]
    query = parse_listing(user_id, query_values(request))
    page = await run_in_threadpool(resolver_of(request).list_events, user_id, query, caller=caller)
    return ExactJSONResponse(page.to_json())


@router.get(
    "/events/{userId}/{eventId}",
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
async def get_event(request: Request) -> ExactJSONResponse:
    caller = await caller_of(request)
    user_id, event_id = request.path_params["userId"], request.path_params["eventId"]
    event = await run_in_threadpool(
        resolver_of(request).get_event, user_id, event_id, caller=caller
    )
    return ExactJSONResponse(event.to_json())
