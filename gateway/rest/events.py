"""The REST routes, grouped by resource: events (record one, a batch; list, get; erase one, erase
a user's). Each parses the transport, calls the resolver and shapes the answer; what the OpenAPI
description says of it is in gateway/rest/openapi.py."""

from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response, status
from fastapi.concurrency import run_in_threadpool

from gateway.assets import root_path
from gateway.deps import caller_of, resolver_of
from gateway.responses import ExactJSONResponse
from gateway.rest import openapi
from gateway.rest.body import read_batch_body, read_json_body
from gateway.rest.problems import domain_problem
from gateway.rest.routing import direct_router
from schema.events import parse_listing
from schema.outcome import EventResult, Outcome

router = direct_router()

BATCH_PATH = "/events/batch"


def query_values(request: Request) -> dict[str, list[str]]:
    """Every value each query parameter was given, in order (a repeated one is seen as such)."""
    given: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        given.setdefault(name, []).append(value)
    return given


@router.post("/events", **openapi.RECORD_EVENT)
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


@router.get("/events/{userId}", **openapi.LIST_EVENTS)
async def list_events(request: Request) -> ExactJSONResponse:
    caller = await caller_of(request)
    user_id = request.path_params["userId"]
    query = parse_listing(user_id, query_values(request))
    page = await run_in_threadpool(resolver_of(request).list_events, user_id, query, caller=caller)
    return ExactJSONResponse(page.to_json())


@router.get("/events/{userId}/{eventId}", **openapi.GET_EVENT)
async def get_event(request: Request) -> ExactJSONResponse:
    caller = await caller_of(request)
    user_id, event_id = request.path_params["userId"], request.path_params["eventId"]
    event = await run_in_threadpool(
        resolver_of(request).get_event, user_id, event_id, caller=caller
    )
    return ExactJSONResponse(event.to_json())


@router.post(BATCH_PATH, **openapi.RECORD_EVENTS)
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


@router.delete("/events/{userId}/{eventId}", **openapi.DELETE_EVENT)
async def delete_event(request: Request) -> Response:
    caller = await caller_of(request)
    user_id, event_id = request.path_params["userId"], request.path_params["eventId"]
    await run_in_threadpool(resolver_of(request).delete_event, user_id, event_id, caller=caller)
    return Response(status_code=HTTPStatus.NO_CONTENT)


@router.delete("/events/{userId}", **openapi.ERASE_USER)
async def erase_user(request: Request) -> ExactJSONResponse:
    caller = await caller_of(request)
    user_id, given = request.path_params["userId"], query_values(request)
    erasure = await run_in_threadpool(
        resolver_of(request).erase_user, user_id, given, caller=caller
    )
    return ExactJSONResponse(
        {"userId": erasure.user_id, "deleted": erasure.deleted, "more": erasure.more}
    )
