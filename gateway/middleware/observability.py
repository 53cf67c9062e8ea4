"""Request ids, structured logs and each request's metrics and span: every response names its
request, every log line too (and its trace, when traces are exported)."""

import logging
import sys
import time
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any, TextIO

import orjson
from opentelemetry import context as otel_context
from opentelemetry.trace import Span, SpanKind, StatusCode, set_span_in_context
from pythonjsonlogger.orjson import OrjsonFormatter
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.middleware.request_id import (
    REQUEST_ID_HEADER,
    adopt_request_id,
    begin_request,
    current_request_id,
    end_request,
)
from gateway.responses import internal_error_problem
from persistence.metric_catalogue import PROBLEMS, REQUEST_SECONDS, REQUESTS, UNAVAILABLE
from persistence.telemetry import (
    NO_TELEMETRY,
    RequestRecord,
    Telemetry,
    begin_request_record,
    current_trace_id,
    end_request_record,
)

access_logger = logging.getLogger("eventlog.access")
# The access line's status of a request whose client left first (nginx's convention).
CLIENT_CLOSED_REQUEST = 499
_ID_HEADER = REQUEST_ID_HEADER.lower().encode()
logger = logging.getLogger(__name__)


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        record.__dict__.pop("color_message", None)  # uvicorn's terminal copy of the message
        trace_id = current_trace_id()
        if trace_id is not None:
            record.trace_id = trace_id
        return True


class _AccessLineFormatter(logging.Formatter):
    """The access line, in the same JSON shape as every other line, made from its known fields
    only: the general formatter walks every attribute of every record, a cost paid on every
    request (docs/performance.md)."""

    def __init__(self) -> None:
        super().__init__()
        self._second = -1
        self._prefix = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        """The other lines' time format, its date and time made once a second (not per line)."""
        second = int(record.created)
        if second != self._second:
            self._second, self._prefix = (
                second,
                time.strftime(self.default_time_format, self.converter(second)),
            )
        return f"{self._prefix},{int(record.msecs):03d}"

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.msg,
            "request_id": current_request_id(),
            **getattr(record, "access", {}),
        }
        trace_id = current_trace_id()
        if trace_id is not None:
            line["trace_id"] = trace_id
        return orjson.dumps(line).decode()


def configure_logging(level: str, stream: TextIO | None = None) -> None:
    """One JSON object per line on stderr (or `stream`), for people and for CloudWatch alike."""
    stream = stream or sys.stderr
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        OrjsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    access = logging.StreamHandler(stream)
    access.setFormatter(_AccessLineFormatter())
    access_logger.handlers[:] = [access]
    access_logger.propagate = False
    # Their INFO lines say what they do as a matter of course (credentials found, a pool
    # recreated); their warnings still show.
    for chatty in ("alembic", "botocore", "sqlalchemy", "persistence.sql_engine"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, root.level))


class RequestContextMiddleware:
    """Adopts the client's X-Request-ID when it is sane (else makes one), echoes it on every
    response, and writes one access log line per request.

    It also answers unexpected errors: Starlette's own last-resort handler sits outside every
    middleware, so its 500 would lose the request id in both the response and the log.

    And it measures the request (`telemetry`): its metrics by operation once it has ended, and,
    when traces are exported, the span every store call of the request is a child of.
    """

    def __init__(self, app: ASGIApp, telemetry: Telemetry = NO_TELEMETRY) -> None:
        self.app = app
        self.telemetry = telemetry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = adopt_request_id(_sent_request_id(scope))
        id_bytes = request_id.encode()
        begun = begin_request(request_id)
        record, recording = begin_request_record()
        began = time.perf_counter()
        status = 500
        started = False
        span = None
        if self.telemetry.tracer is not None:
            span = self.telemetry.tracer.start_span(
                scope["method"],
                kind=SpanKind.SERVER,
                attributes={
                    "eventlog.request_id": request_id,
                    "http.request.method": scope["method"],
                },
            )
            attached = otel_context.attach(set_span_in_context(span))

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = message["status"], True
                message["headers"] = [*message.get("headers", ()), (_ID_HEADER, id_bytes)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except ClientDisconnect:
            # The client left before its body arrived: no one to answer, nothing went wrong here.
            status = CLIENT_CLOSED_REQUEST
        except Exception:
            logger.exception("unhandled error")
            if started:
                raise
            await internal_error_problem()(scope, receive, send_with_id)
        finally:
            if access_logger.isEnabledFor(logging.INFO):
                _log_access(scope, status, began)
            operation = self._measure(scope, record, status, began)
            if span is not None:
                _end_request_span(span, operation, status)
                otel_context.detach(attached)
            end_request_record(recording)
            end_request(begun)

    def _measure(self, scope: Scope, record: RequestRecord, status: int, began: float) -> str:
        """The request's metrics, by its operation (which it returns); one EMF line."""
        operation = operation_of(scope, record)
        telemetry = self.telemetry
        if telemetry.sink is None:
            return operation
        telemetry.add(REQUESTS, 1, operation, _STATUS_CLASSES.get(status // 100, "5xx"))
        telemetry.add(REQUEST_SECONDS, time.perf_counter() - began, operation)
        for problem in record.problems:
            telemetry.add(PROBLEMS, 1, operation, problem)
        if status == HTTPStatus.SERVICE_UNAVAILABLE and record.unavailable is not None:
            telemetry.add(UNAVAILABLE, 1, record.unavailable)
        telemetry.flush(record)
        return operation


_STATUS_CLASSES = {2: "2xx", 3: "3xx", 4: "4xx", 5: "5xx"}
UNMATCHED = "unmatched"
# The method of an operation whose path is a route's and whose method is none of the route's
# (answered 405): one label per route, whatever method was sent.
OTHER_METHOD = "OTHER"


def operation_of(scope: Scope, record: RequestRecord) -> str:
    """The request's operation: what the door named (GraphQL's operation type), else the
    route's method and template (`GET /events/{userId}`), `OTHER` and the template for a method
    the route does not serve (a 405); `unmatched` for a request whose path no route has, or that
    was answered before routing. No raw path or method ever becomes a label."""
    if record.operation is not None:
        return record.operation
    route = scope.get("route")
    if route is None:
        return UNMATCHED
    methods = getattr(route, "methods", None) or ()
    method = scope["method"]
    if method in methods or (method == "HEAD" and "GET" in methods):
        return f"{method} {route.path}"
    return f"{OTHER_METHOD} {route.path}"


def operation_names(routes: Iterable[Any]) -> frozenset[str]:
    """Every operation `operation_of` can name through these routes. (The app includes its
    routers without a prefix: a request's route carries its own path, unprefixed.)"""
    names = {UNMATCHED}
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            names |= operation_names(included.routes)
            continue
        methods = set(getattr(route, "methods", None) or ())
        if "GET" in methods:
            methods.add("HEAD")
        if methods:
            methods.add(OTHER_METHOD)
        names |= {f"{method} {route.path}" for method in methods}
    return frozenset(names)


def _end_request_span(span: Span, operation: str, status: int) -> None:
    span.update_name(operation)
    span.set_attribute("http.response.status_code", status)
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        span.set_status(StatusCode.ERROR)
    span.end()


def _log_access(scope: Scope, status: int, began: float) -> None:
    """One line per request, made without `logging`'s search of the stack for the caller."""
    fields = {
        "method": scope["method"],
        "path": scope["path"],
        "status": status,
        "duration_ms": round((time.perf_counter() - began) * 1000, 2),
    }
    record = access_logger.makeRecord(
        access_logger.name, logging.INFO, __file__, 0, "request", (), None, extra={"access": fields}
    )
    access_logger.handle(record)


def _sent_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            sent: str = value.decode("latin-1")
            return sent
    return None
