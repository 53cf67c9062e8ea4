"""How the REST routes are served: FastAPI describes them (OpenAPI, `scope["route"]` for the
metrics and HEAD), and each request goes straight to its endpoint.

Every endpoint here reads what it needs from the request itself (`gateway.deps`, `gateway.rest.
body`) and returns its whole answer as a `Response`, so FastAPI's request handler has nothing to
do for it: no dependencies to solve, no body to bind, no response model to validate or encode.
Its machinery still costs a small request about as much as the rest of the request together
(docs/performance.md), so `DirectRoute` answers such an endpoint with a two-line ASGI app. Errors
it raises reach the app's exception handlers exactly as before (Starlette's
`ExceptionMiddleware` holds the same handlers FastAPI's route wrapper would use).

The routes are added to the app as its own (`add_routes`), not through `include_router`:
FastAPI wraps an included router in a layer that matches every request twice against it.
"""

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.routing import APIRoute, APIRouter
from starlette.types import ASGIApp, Receive, Scope, Send

Endpoint = Callable[..., Awaitable[Response]]


class DirectRoute(APIRoute):
    """An APIRoute whose requests skip FastAPI's request handler, for an async endpoint that
    takes the `Request` (or nothing) and returns a `Response`. Any other endpoint is served by
    FastAPI's handler, as a plain APIRoute would be."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        if _answers_directly(self):
            self.app = _direct_app(endpoint, takes_request=bool(self.dependant.request_param_name))


def _answers_directly(route: APIRoute) -> bool:
    """Async, its one parameter (if any) the request, nothing else for FastAPI to resolve, and
    declared to return a Response."""
    dependant = route.dependant
    signature = inspect.signature(route.endpoint, eval_str=True)
    returns = signature.return_annotation
    return (
        inspect.iscoroutinefunction(route.endpoint)
        and isinstance(returns, type)
        and issubclass(returns, Response)
        and len(signature.parameters) <= (1 if dependant.request_param_name else 0)
        and not dependant.dependencies
        and route.body_field is None
    )


def _direct_app(endpoint: Endpoint, *, takes_request: bool) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        response = await (endpoint(Request(scope, receive, send)) if takes_request else endpoint())
        await response(scope, receive, send)

    return app


def direct_router() -> APIRouter:
    return APIRouter(route_class=DirectRoute)


def add_routes(app: FastAPI, router: APIRouter) -> None:
    """The router's routes as the app's own, in their order, after those it already has."""
    app.router.routes.extend(router.routes)
