"""REST routes: parse the transport, call the resolver, shape the response. Nothing else."""

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, status
from fastapi.concurrency import run_in_threadpool

from gateway.body import JsonBody
from gateway.deps import ResolverDep
from gateway.problems import problem, problem_responses
from gateway.responses import ExactJSONResponse, ProblemResponse
from schema.events import Event, EventCreate, EventListQuery, EventPage, UserId

router = APIRouter()

PathUserId = Annotated[UserId, Path(alias="userId")]


@router.post(
    "/events",
    status_code=status.HTTP_201_CREATED,
    response_model=Event,
    summary="Record an event",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": EventCreate.model_json_schema()}},
        }
    },
    responses={
        200: {"model": Event, "description": "Replay: the event was already stored."},
        **problem_responses(400, 409, 413, 415, 422, 503),
    },
)
async def record_event(body: JsonBody, resolver: ResolverDep) -> ExactJSONResponse:
    outcome = await run_in_threadpool(resolver.record_event, body)
    event = outcome.event
    if not outcome.created:
        return ExactJSONResponse(event.to_json(), status_code=status.HTTP_200_OK)
    location = f"/events/{quote(event.user_id, safe=':@+=')}/{event.event_id}"
    return ExactJSONResponse(
        event.to_json(), status_code=status.HTTP_201_CREATED, headers={"Location": location}
    )


@router.get(
    "/events/{userId}",
    response_model=EventPage,
    summary="List a user's events",
    responses=problem_responses(400, 422, 503),
)
def list_events(
    user_id: PathUserId, query: Annotated[EventListQuery, Query()], resolver: ResolverDep
) -> ExactJSONResponse:
    return ExactJSONResponse(resolver.list_events(user_id, query).to_json())


@router.get(
    "/events/{userId}/{eventId}",
    response_model=Event,
    summary="Get one event",
    responses=problem_responses(404, 422, 503),
)
def get_event(
    user_id: PathUserId, event_id: Annotated[str, Path(alias="eventId")], resolver: ResolverDep
) -> ExactJSONResponse:
    return ExactJSONResponse(resolver.get_event(user_id, event_id).to_json())


@router.get("/health", summary="Liveness: the process answers")
def health() -> dict[str, Any]:
    return {"status": "ok"}


@router.get(
    "/health/ready",
    summary="Readiness: both stores answer",
    responses=problem_responses(503),
)
def ready(resolver: ResolverDep) -> Any:
    failing = resolver.unavailable_stores()
    if not failing:
        return {"status": "ready", "stores": {"metadata": "ok", "details": "ok"}}
    response: ProblemResponse = problem(
        status.HTTP_503_SERVICE_UNAVAILABLE,  # type: ignore[arg-type]
        "unavailable",
        "Store unavailable",
        f"Not answering: {', '.join(failing)}.",
        stores={
            name: ("unavailable" if name in failing else "ok") for name in ("metadata", "details")
        },
    )
    return response
