"""AWS Lambda entry point: the same app behind Mangum, built once per container.

The engine, the boto3 clients and the database secret are made at cold start and reused by every
invocation; Mangum's lifespan is off, so nothing is opened or closed per request. On Lambda the
handler is built during the init phase (which runs with a full CPU burst); elsewhere (tests,
`sam local`), on the first call.
"""

import os
from contextlib import ExitStack
from functools import lru_cache
from typing import Any

from mangum import Mangum
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.app import create_app
from gateway.observability import configure_logging
from gateway.rest.responses import ProblemResponse
from gateway.settings import Settings, get_settings
from gateway.stores import open_stores, with_secret

# Holds the stores open for the life of the container.
_container_resources = ExitStack()


def build_handler(settings: Settings) -> Mangum:
    settings = with_secret(settings)
    stores = _container_resources.enter_context(open_stores(settings))
    app = ServedUnder(create_app(settings, stores), settings.api_base_path.rstrip("/"))
    return Mangum(
        app,
        lifespan="off",
        api_gateway_base_path=settings.api_base_path,
        # Problems are text too: without this Mangum would base64 them.
        text_mime_types=[*DEFAULT_TEXT_MIME_TYPES, ProblemResponse.media_type],
    )


class ServedUnder:
    """Mangum strips the base path from each route; the app still learns it as the ASGI root
    path, so /docs points the browser at <base path>/openapi.json."""

    def __init__(self, app: ASGIApp, root_path: str) -> None:
        self.app = app
        self.root_path = root_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app({**scope, "root_path": self.root_path}, receive, send)


@lru_cache(maxsize=1)
def _container_handler() -> Mangum:
    settings = get_settings()
    configure_logging(settings.log_level)
    return build_handler(settings)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    response: dict[str, Any] = _container_handler()(event, context)
    return response


if "AWS_LAMBDA_FUNCTION_NAME" in os.environ:
    _container_handler()
