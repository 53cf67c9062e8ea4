"""The app factory: settings in, a FastAPI app with its stores, routes and error mapping out."""

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import ExitStack, asynccontextmanager

from fastapi import FastAPI
from starlette.routing import Route

from gateway import __version__
from gateway.assets import OfflineAssets
from gateway.auth.bearer import BearerAuthentication, authentication_for
from gateway.graphql.lazy import GRAPHQL_METHODS, GRAPHQL_PATH, LazyGraphQL
from gateway.graphql.refusal import (
    GRAPHQL_CODES,
    GRAPHQL_OPERATIONS,
    RequestRefused,
    refused_response,
)
from gateway.middleware.body_guard import BodyGuardMiddleware
from gateway.middleware.cors import install_cors
from gateway.middleware.head import HeadAsGetMiddleware
from gateway.middleware.observability import RequestContextMiddleware, operation_names
from gateway.middleware.request_deadline import RequestDeadlineMiddleware
from gateway.rest.docs_pages import install_docs_pages
from gateway.rest.events import BATCH_PATH
from gateway.rest.events import router as events_router
from gateway.rest.metrics_page import install_metrics_page
from gateway.rest.probes import CachedReadiness
from gateway.rest.probes import router as probes_router
from gateway.rest.problems import install_problem_handlers, problem_slugs
from gateway.rest.routing import add_routes
from gateway.settings import Settings, get_settings
from gateway.stores import Stores, open_stores
from gateway.telemetry import telemetry_for
from persistence.telemetry import NO_TELEMETRY, Telemetry
from resolvers import EventResolver

logger = logging.getLogger(__name__)


def build_resolver(
    settings: Settings, stores: Stores, telemetry: Telemetry = NO_TELEMETRY
) -> EventResolver:
    return EventResolver(
        stores.metadata,
        stores.details,
        limits=settings.limits,
        cursor_secret=stores.cursor_secret,
        grace_seconds=settings.reconcile_grace_seconds,
        telemetry=telemetry,
    )


def create_app(
    settings: Settings | None = None,
    stores: Stores | Callable[[], Stores] | None = None,
    authentication: BearerAuthentication | None = None,
    telemetry: Telemetry | None = None,
) -> FastAPI:
    """Stores passed in belong to the caller (tests, `python -m gateway`), or are opened on
    demand by a callable the caller owns (the Lambda handler: a failure to open them is a 503,
    not a crash); otherwise the app opens them at start-up and closes them at shutdown.
    Authentication is built from the settings unless given (tests pass one whose clock they
    move). Telemetry (the metrics sink, the tracer) is built from the settings unless given;
    stores the caller opens are measured by the caller's (`open_stores(..., telemetry=...)`)."""
    settings = settings or get_settings()
    telemetry = telemetry or telemetry_for(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with ExitStack() as cleanup:
            if stores is None:
                opened = build_resolver(
                    settings,
                    cleanup.enter_context(open_stores(settings, telemetry=telemetry)),
                    telemetry,
                )
                app.state.resolver_source = lambda: opened
            yield

    app = FastAPI(
        title="Event Log API",
        version=__version__,
        description="Records user interaction events and returns a user's history. "
        "The same operations are offered as GraphQL at /graphql.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        # No 307 to the path without its slash: a client that follows it with DELETE would
        # erase a user's history where it meant one event (`DELETE /events/u/`). A 404 instead.
        redirect_slashes=False,
        # The app's telemetry is its own (`telemetry`, RequestContextMiddleware's span and
        # metrics). FastAPI's would add a second server span, its own metrics and log records
        # wherever a global OpenTelemetry provider is installed (OTLP, the ADOT layer), and
        # asks the environment whether one is on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.telemetry = telemetry
    app.state.readiness = CachedReadiness()
    app.state.authentication = authentication or authentication_for(settings, telemetry=telemetry)
    if app.state.authentication is None and not settings.embedded:
        logger.warning(
            "authentication is off (EVENTLOG_AUTH=none): anyone who reaches this API may read "
            "and write every user's events"
        )
    if isinstance(stores, Stores):
        given = build_resolver(settings, stores, telemetry)
        app.state.resolver_source = lambda: given
    elif stores is not None:
        app.state.resolver_source = lambda: build_resolver(settings, stores(), telemetry)
    # Pure ASGI, innermost first: each runs inside RequestContextMiddleware, so every answer
    # carries the request id; the deadline starts when the request arrives.
    app.add_middleware(
        BodyGuardMiddleware,
        max_bytes=settings.limits.max_body_bytes,
        # A batch may carry many events, through either door.
        max_bytes_by_path={
            BATCH_PATH: settings.batch_max_body_bytes,
            GRAPHQL_PATH: settings.batch_max_body_bytes,
        },
        read_timeout_seconds=settings.body_read_timeout_seconds,
    )
    app.add_middleware(HeadAsGetMiddleware)
    app.add_middleware(RequestDeadlineMiddleware, timeout_seconds=settings.request_timeout_seconds)
    app.add_middleware(RequestContextMiddleware, telemetry=telemetry)
    # Outermost, so every answer a page may read carries the CORS headers, 500s included.
    install_cors(app, settings.cors_allow_origins)
    install_problem_handlers(app)
    app.add_exception_handler(RequestRefused, refused_response)
    add_routes(app, probes_router)
    add_routes(app, events_router)
    assets = OfflineAssets()
    install_docs_pages(app, assets)
    app.router.routes.append(
        Route(GRAPHQL_PATH, LazyGraphQL(assets), methods=GRAPHQL_METHODS, include_in_schema=False)
    )
    assets.mount(app)
    install_metrics_page(app, settings, telemetry)
    telemetry.allow("operation", operation_names(app.router.routes) | GRAPHQL_OPERATIONS)
    telemetry.allow("problem", problem_slugs() | GRAPHQL_CODES)
    return app
