"""AWS Lambda entry point: the same app behind Mangum, built once per container.

The engine, the boto3 clients and the database secret are made once and reused by every
invocation; Mangum's lifespan is off, so nothing is opened or closed per request. On Lambda the
stores are opened, and SQL Server logged in to, during the init phase (which runs with a full CPU
burst, and before a SnapStart snapshot: a restored sandbox discards that connection, since its
socket belongs to the snapshot, and logs in again on its first request, with the login read
again from the secret); if that fails (the secret unreachable), the container still starts,
requests get a 503 problem, and the next request tries again. Elsewhere (tests, `sam local`)
everything is built on the first call. The stores are closed when the process exits, whatever
the path.

Python's cyclic garbage collector is paused while the module loads and the container is built:
nearly every object made then (modules, classes, the app) lives as long as the container, so
the collections that tens of thousands of new objects set off find nothing to free and cost the
init about a tenth of its CPU. At the end those objects are frozen (`gc.freeze`: left out of
every later collection, so requests do not rescan them either) and collection resumes.
"""

import gc

_COLLECTING = gc.isenabled()
gc.disable()

import atexit
import os
import random
from functools import lru_cache
from typing import Any

from mangum import Mangum
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.app import create_app
from gateway.graphql.lazy import LazyGraphQL
from gateway.middleware.observability import configure_logging
from gateway.responses import ProblemResponse
from gateway.settings import Settings, load_settings
from gateway.stores import StoresOnDemand
from gateway.telemetry import telemetry_for

# A SnapStart snapshot's init, or provisioned concurrency's: no request waits on these, so what
# is otherwise built by the first request that needs it (GraphQL) is built in them.
INITS_NO_REQUEST_WAITS_ON = {"snap-start", "provisioned-concurrency"}


def build_handler(settings: Settings, stores: StoresOnDemand | None = None) -> Mangum:
    stores = stores or StoresOnDemand(settings, telemetry_for(settings))
    # Closed before the interpreter freezes its threads: the embedded emulator's server thread
    # must still run to acknowledge its shutdown, or the process never exits.
    atexit.register(stores.close)
    # Every sandbox restored from one snapshot would otherwise draw the same sequence from
    # `random` (libraries' retry jitter; the API's own draws use the operating system's).
    on_snapshot_restore(random.seed)
    on_snapshot_restore(stores.after_restore)
    api = create_app(settings, stores, telemetry=stores.telemetry)
    if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") in INITS_NO_REQUEST_WAITS_ON:
        for route in api.router.routes:
            if isinstance(route, Route) and isinstance(route.endpoint, LazyGraphQL):
                route.endpoint.build()
    return Mangum(
        ServedUnder(api, settings.api_base_path),
        lifespan="off",
        # ServedUnder strips the base path; Mangum's own stripping would strip it twice.
        api_gateway_base_path="/",
        # Problems and GraphQL responses are text too: without this Mangum would base64 them.
        # (The GraphQL media type is spelled here so that REST cold starts skip Strawberry.)
        text_mime_types=[
            *DEFAULT_TEXT_MIME_TYPES,
            ProblemResponse.media_type,
            "application/graphql-response+json",
        ],
    )


class ServedUnder:
    """A request under the base path (a custom domain's API mapping) reaches the app with the
    base path as its ASGI root path, stripped once by the router, so /docs points the browser
    at <base path>/openapi.json and <base path>/assets/...; a request without it (the API's own
    execute-api URL) is served as it comes."""

    def __init__(self, app: ASGIApp, base_path: str) -> None:
        self.app = app
        self.base_path = base_path.rstrip("/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if self.base_path and (path == self.base_path or path.startswith(self.base_path + "/")):
            scope = {**scope, "root_path": self.base_path}
        await self.app(scope, receive, send)


def on_snapshot_restore(hook: Any) -> None:
    """SnapStart (Python 3.12+): run `hook` when Lambda resumes this container from a snapshot.
    `snapshot_restore_py` ships with Lambda's Python runtimes; elsewhere there is no snapshot."""
    try:
        from snapshot_restore_py import register_after_restore
    except ImportError:
        return
    register_after_restore(hook)


@lru_cache(maxsize=1)
def _container_handler() -> Mangum:
    settings = load_settings()
    configure_logging(settings.log_level)
    stores = StoresOnDemand(settings, telemetry_for(settings))
    handler = build_handler(settings, stores)
    # Logged when it fails; the first request that needs the stores tries again, or answers 503.
    stores.warm()
    return handler


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    response: dict[str, Any] = _container_handler()(event, context)
    return response


try:
    if "AWS_LAMBDA_FUNCTION_NAME" in os.environ:
        _container_handler()
finally:
    gc.freeze()
    if _COLLECTING:
        gc.enable()
