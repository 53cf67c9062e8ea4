"""REST routes of the event lifecycle beyond one event: batch recording and erasure. Like
`routes`, they parse the transport, call the resolver and shape the answer; nothing else."""

from http import HTTPStatus
from typing import Any

from fastapi import APIRouter, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from gateway.deps import caller_of, resolver_of
from gateway.errors import MalformedBody
from gateway.middleware.body_guard import BodyReadTimeout, PayloadTooLarge
from gateway.responses import ExactJSONResponse
from gateway.rest.body import UNSUPPORTED_MEDIA_TYPE_ANSWER, read_batch_body
from gateway.rest.examples import rejection
from gateway.rest.problems import (
    ProblemBody,
    ValidationProblemBody,
    domain_problem,
    problem_responses,
)
from gateway.rest.routes import (
    EVENT_ID_PARAMETER,
    USER_ID_PARAMETER,
    access_answers,
    operation_extra,
    query_values,
    unavailable_answer,
)
from schema.access import Action
from schema.batch import parse_batch
from schema.erasure import ERASE_LIMIT_RULES, parse_erasure
from schema.errors import EventNotFound, StoreUnavailable
from schema.events import EXAMPLE_EVENT_ID, EXAMPLE_USER_ID, Event
from schema.limits import (
    DEFAULT_BODY_READ_TIMEOUT_SECONDS,
    DEFAULT_MAX_BATCH_BODY_BYTES,
    MAX_BATCH_EVENTS,
    Limits,
)
from schema.outcome import EventResult, Outcome

router = APIRouter()

BATCH_PATH = "/events/batch"


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


@router.post(
    BATCH_PATH,
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
async def record_events(request: Request) -> ExactJSONResponse:
    caller = await caller_of(request)
    body, repeats = await read_batch_body(request)
    results = await run_in_threadpool(
        resolver_of(request).record_events, body, caller=caller, repeats=repeats
    )
    counts = dict.fromkeys((outcome.value for outcome in Outcome), 0)
    for result in results:
        counts[result.outcome.value] += 1
    answers = [_answer(index, result) for index, result in enumerate(results)]
    return ExactJSONResponse({"results": answers, "counts": counts})


def _answer(index: int, result: EventResult) -> dict[str, Any]:
    answer: dict[str, Any] = {"index": index, "outcome": result.outcome.value}
    if result.event is not None:
        answer["event"] = result.event.to_json()
    if result.error is not None:
        answer["problem"] = domain_problem(result.error)[1]
    return answer


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


@router.delete(
    "/events/{userId}/{eventId}",
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
async def delete_event(request: Request) -> Response:
    caller = await caller_of(request)
    user_id, event_id = request.path_params["userId"], request.path_params["eventId"]
    await run_in_threadpool(resolver_of(request).delete_event, user_id, event_id, caller=caller)
    return Response(status_code=HTTPStatus.NO_CONTENT)


@router.delete(
    "/events/{userId}",
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
async def erase_user(request: Request) -> ExactJSONResponse:
    caller = await caller_of(request)
    user_id, given = request.path_params["userId"], query_values(request)
    erasure = await run_in_threadpool(
        resolver_of(request).erase_user, user_id, given, caller=caller
    )
    return ExactJSONResponse(
        {"userId": erasure.user_id, "deleted": erasure.deleted, "more": erasure.more}
    )
