"""GraphQL requests refused before execution, answered in GraphQL's shape.

Kept apart from Strawberry (nothing here imports it), so the app can install the answer at
start-up while the GraphQL machinery itself is built on the first /graphql request.
"""

from http import HTTPStatus

from fastapi import Request
from starlette.responses import JSONResponse

from gateway.auth.bearer import challenge
from schema.errors import EventLogError, IssuerUnavailable, Unauthenticated

# `extensions.code` of the errors that refuse a whole request (errors.py maps the others).
REFUSAL_CODES: dict[type[EventLogError], str] = {
    Unauthenticated: "UNAUTHENTICATED",
    IssuerUnavailable: "SERVICE_UNAVAILABLE",
}


class RequestRefused(Exception):
    """A request refused before execution, whatever it asks: its bearer token cannot be accepted
    (401), or the issuer's keys cannot be fetched to check it (503). GraphQL over HTTP asks for
    a 4xx/5xx status here: no GraphQL response is made, only its `errors`."""

    def __init__(self, error: Unauthenticated | IssuerUnavailable) -> None:
        super().__init__(str(error))
        self.error = error


async def refused_response(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestRefused)
    error = exc.error
    headers = challenge(error)
    status = HTTPStatus.UNAUTHORIZED
    if isinstance(error, IssuerUnavailable):
        status = HTTPStatus.SERVICE_UNAVAILABLE
        headers["Retry-After"] = str(request.app.state.settings.retry_after_seconds)
    code = REFUSAL_CODES[type(error)]
    body = {"errors": [{"message": str(error), "extensions": {"code": code}}]}
    return JSONResponse(body, status_code=status, headers=headers)
