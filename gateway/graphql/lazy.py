"""The /graphql route, whose GraphQL machinery is built by its first request.

Importing and building Strawberry, graphql-core and the schema is a large part of a cold start
(docs/performance.md), which a container that serves only REST need not pay. This route
imports nothing of them until /graphql is asked for; then it builds Strawberry's router once
and hands it every request from there on.

Every request the route admits (GET, HEAD as GET, POST) goes to the router's `run`, with the
context `get_context` makes, as Strawberry's FastAPI endpoints would pass them: those endpoints
only call `run` after FastAPI's routing and dependency solving, which here would route a second
time a request the app's router has already routed. A refusal raised by `get_context` reaches
the app's exception handlers as any route's error does; the request's route (for its metrics)
stays the app's /graphql route, named by method as before (`POST /graphql`).
"""

import threading
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from gateway.assets import OfflineAssets

GRAPHQL_PATH = "/graphql"
GRAPHQL_METHODS = ["GET", "POST"]

Run = Callable[..., Awaitable[Response]]
ContextOf = Callable[[Request], Awaitable[Any]]


class LazyGraphQL:
    """An ASGI app for the /graphql route (the main app's own Route: its errors reach the main
    app's handlers)."""

    def __init__(self, assets: OfflineAssets) -> None:
        self._assets = assets
        self._built: tuple[Run, ContextOf] | None = None
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        run, context_of = self._build()
        request = Request(scope, receive)
        response = await run(request, context=await context_of(request), root_value=None)
        await response(scope, receive, send)

    def build(self) -> None:
        """Build it now, before any request asks (an init that no request waits on)."""
        self._build()

    def _build(self) -> tuple[Run, ContextOf]:
        with self._lock:
            if self._built is None:
                from gateway.graphql.context import get_context
                from gateway.graphql.router import EventLogGraphQLRouter

                self._built = (EventLogGraphQLRouter(self._assets).run, get_context)
            return self._built
