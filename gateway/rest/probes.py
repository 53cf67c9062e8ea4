"""The probes: liveness and readiness. Routed before every other path (they are asked most,
by load balancers and orchestrators, and a router tries its paths in order)."""

from typing import Any, Literal

from fastapi import APIRouter, Request, status
from pydantic import BaseModel

from gateway.deps import resolver_of
from gateway.responses import ExactJSONResponse, ProblemResponse
from gateway.rest.problems import NotReadyProblemBody, not_ready_body, problem_responses

router = APIRouter()


class Liveness(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready"]
    stores: dict[Literal["metadata", "details"], Literal["ok"]]


_LIVE = {"status": "ok"}


@router.get(
    "/health",
    tags=["health"],
    summary="Liveness",
    description="`200` while the process answers; it does not touch the stores.",
    response_description="The process answers.",
    response_model=Liveness,
)
async def health() -> ExactJSONResponse:
    # async: no I/O, so no worker thread (every sync route runs in one).
    return ExactJSONResponse(_LIVE)


@router.get(
    "/health/ready",
    tags=["health"],
    summary="Readiness",
    description="`200` when both stores answer, else `503` naming the one that does not.",
    response_description="Both stores answer.",
    response_model=Readiness,
    responses=problem_responses(
        {
            503: (
                "A store does not answer (`unavailable`); `stores` says which.",
                lambda: not_ready_body(["details"]),
            )
        },
        models={503: NotReadyProblemBody},
    ),
)
def ready(request: Request) -> Any:
    failing = resolver_of(request).unavailable_stores()
    if not failing:
        return {"status": "ready", "stores": {"metadata": "ok", "details": "ok"}}
    return ProblemResponse(not_ready_body(failing), status_code=status.HTTP_503_SERVICE_UNAVAILABLE)
