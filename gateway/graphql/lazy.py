"""The /graphql route, whose GraphQL machinery is built by its first request.

Importing and building Strawberry, graphql-core and the schema is a large part of a cold start
(docs/performance.md), which a container that serves only REST need not pay. This route
imports nothing of them until /graphql is asked for; then it builds Strawberry's router once
and hands it every request from there on.
"""

import threading

from fastapi import APIRouter
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.assets import OfflineAssets

GRAPHQL_PATH = "/graphql"
GRAPHQL_METHODS = ["GET", "POST"]


class LazyGraphQL:
    """An ASGI app for the /graphql route (the main app's own Route: its dependencies see
    the main app, and its errors reach the main app's handlers)."""

    def __init__(self, assets: OfflineAssets) -> None:
        self._assets = assets
        self._router: ASGIApp | None = None
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._built()(scope, receive, send)

    def build(self) -> None:
        """Build it now, before any request asks (an init that no request waits on)."""
        self._built()

    def _built(self) -> ASGIApp:
        with self._lock:
            if self._router is None:
                from gateway.graphql.router import EventLogGraphQLRouter

                router = APIRouter()
                router.include_router(EventLogGraphQLRouter(self._assets), prefix=GRAPHQL_PATH)
                self._router = router
            return self._router
