"""The probes: liveness and readiness. Routed before every other path (they are asked most,
by load balancers and orchestrators, and a router tries its paths in order)."""

import threading
import time
from collections.abc import Callable
from typing import Any, Literal

from fastapi import Request, status
from pydantic import BaseModel

from gateway.deps import resolver_of
from gateway.responses import ExactJSONResponse, ProblemResponse
from gateway.rest.problems import NotReadyProblemBody, not_ready_body, problem_responses
from gateway.rest.routing import direct_router
from persistence.deadline import deadline_after
from schema.errors import StoreName

router = direct_router()


class Liveness(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready"]
    stores: dict[Literal["metadata", "details"], Literal["ok"]]


_LIVE = {"status": "ok"}
# How long one check of the stores answers every readiness probe: the probe is public, so
# without this each anonymous request would cost a SQL query and a DescribeTable.
READY_CACHE_SECONDS = 1.0
# How long one check of the stores may take: a store that does not answer is reported within
# this, well inside the timeouts orchestrators give their probes, not at the request's deadline.
READY_CHECK_SECONDS = 3.0


class CachedReadiness:
    """The stores' last check, kept for `seconds`; one check at a time (probes arriving while
    one runs wait for its answer instead of starting their own), so however many probes come,
    the stores see at most one check a period."""

    def __init__(
        self,
        seconds: float = READY_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        check_seconds: float = READY_CHECK_SECONDS,
    ) -> None:
        self._seconds = seconds
        self._check_seconds = check_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._failing: list[StoreName] = []
        self._checked_at: float | None = None

    def failing(self, check: Callable[[], list[StoreName]]) -> list[StoreName]:
        with self._lock:
            now = self._clock()
            if self._checked_at is None or now - self._checked_at >= self._seconds:
                with deadline_after(self._check_seconds):
                    self._failing = check()
                self._checked_at = self._clock()
            return list(self._failing)


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
    description="`200` when both stores answer, else `503` naming the one that does not. "
    "One check of the stores answers every probe for a second.",
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
    readiness: CachedReadiness = request.app.state.readiness
    failing = readiness.failing(lambda: resolver_of(request).unavailable_stores())
    if not failing:
        return {"status": "ready", "stores": {"metadata": "ok", "details": "ok"}}
    return ProblemResponse(not_ready_body(failing), status_code=status.HTTP_503_SERVICE_UNAVAILABLE)
