"""Request ids and structured logs: every response names its request, every log line too."""

import logging
import sys
import time

import orjson
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

access_logger = logging.getLogger("eventlog.access")
# The access line's status of a request whose client left first (nginx's convention).
CLIENT_CLOSED_REQUEST = 499
_ID_HEADER = REQUEST_ID_HEADER.lower().encode()
logger = logging.getLogger(__name__)


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        record.__dict__.pop("color_message", None)  # uvicorn's terminal copy of the message
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
        return orjson.dumps(line).decode()


def configure_logging(level: str) -> None:
    """One JSON object per line on stderr, for people and for CloudWatch alike."""
    handler = logging.StreamHandler(sys.stderr)
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
    access = logging.StreamHandler(sys.stderr)
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
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = adopt_request_id(_sent_request_id(scope))
        id_bytes = request_id.encode()
        begun = begin_request(request_id)
        began = time.perf_counter()
        status = 500
        started = False

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
            end_request(begun)


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
