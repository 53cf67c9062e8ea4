"""`GET /metrics`: the Prometheus sink's registry, in Prometheus' text format.

It is not part of the API (no OpenAPI entry, no Lambda route of its own): served when metrics go
to Prometheus, open in embedded mode (`make run`, loopback) and elsewhere only to a caller that
sends `Authorization: Bearer <EVENTLOG_METRICS_TOKEN>`; with no token set, or on Lambda (whose
metrics are EMF lines), the path is unknown like any other (404). A wrong token is 401.
"""

import hmac

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import Response

from gateway.settings import Settings
from persistence.telemetry import Telemetry

METRICS_PATH = "/metrics"


def install_metrics_page(app: FastAPI, settings: Settings, telemetry: Telemetry) -> None:
    token = settings.metrics_token
    if settings.metrics != "prometheus" or (token is None and not settings.embedded):
        return
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    from gateway.prometheus_sink import PrometheusSink

    sink = telemetry.sink
    if not isinstance(sink, PrometheusSink):
        return
    expected = None if token is None else f"Bearer {token.get_secret_value()}".encode()

    async def metrics(request: Request) -> Response:
        if expected is not None:
            sent = request.headers.get("authorization", "").encode()
            if not hmac.compare_digest(sent, expected):
                raise HTTPException(401, "Send the metrics token as a bearer token.")
        body = await run_in_threadpool(generate_latest, sink.registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    app.add_api_route(METRICS_PATH, metrics, methods=["GET"], include_in_schema=False)
