"""One deadline per request, shared by every store call it makes (`persistence.deadline`).

Off Lambda it is the configured request timeout. On Lambda it is also bounded by the time the
invocation has left (Mangum puts the Lambda context in the ASGI scope), less a margin for what
may run past the deadline (a SQL Server timeout rounded up to whole seconds, a DynamoDB connect
attempt) and for the answer to leave: a request always answers, 503 at worst, before Lambda
cuts it off and API Gateway answers its own 503.

Each request's deadline starts afresh, whatever its context inherited (an earlier request's
context, which uvicorn may hand on to the next request of a connection), and ends with it.
"""

from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from persistence.deadline import begin_request_deadline, end_request_deadline

LAMBDA_MARGIN_SECONDS = 3.0


class RequestDeadlineMiddleware:
    def __init__(self, app: ASGIApp, *, timeout_seconds: float) -> None:
        self.app = app
        self.timeout = timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        begun = begin_request_deadline(request_seconds(self.timeout, scope.get("aws.context")))
        try:
            await self.app(scope, receive, send)
        finally:
            end_request_deadline(begun)


def request_seconds(timeout: float, lambda_context: Any | None) -> float:
    # A handler called by hand (a script, a test) may be given no real context.
    remaining_ms = getattr(lambda_context, "get_remaining_time_in_millis", None)
    if remaining_ms is None:
        return timeout
    return min(timeout, float(remaining_ms()) / 1000 - LAMBDA_MARGIN_SECONDS)
