"""What a request body may cost the server, whichever door it comes in by: its size and the time
it takes to arrive.

A body over the size limit is refused as soon as that is known (the declared Content-Length, or
the bytes received so far), and one that has not arrived within the read timeout is abandoned:
either raises where a route reads the body, and each door answers it (413, 408). An answer that
starts before the body was read to its end closes the connection (`Connection: close`):
otherwise the server would read and discard the rest (a declared GiB, or a body that never
comes) to find the next request on the connection. uvicorn (h11) closes the connection once such
an answer is sent; a client still sending may then see the connection reset rather than read
the answer, which curl and browsers read as they send, and most other clients do not.
"""

import asyncio
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_CLOSE = (b"connection", b"close")


class PayloadTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"The body exceeds {limit} bytes.")
        self.limit = limit


class BodyReadTimeout(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"The body did not arrive within {seconds:g} s.")
        self.seconds = seconds


class BodyGuardMiddleware:
    """`max_bytes` for every route, but those of `max_bytes_by_path` (a batch's route), whose
    paths are the app's own, under any root path."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        read_timeout_seconds: float,
        max_bytes_by_path: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_bytes_by_path = dict(max_bytes_by_path or {})
        self.read_timeout = read_timeout_seconds

    def limit_for(self, scope: Scope) -> int:
        path, root = scope.get("path", ""), scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        return self.max_bytes_by_path.get(path, self.max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # On Lambda the body comes whole (maybe without a Content-Length), and the connection is
        # API Gateway's to keep; over HTTP/1.1 a request without either header has no body.
        on_lambda = "aws.event" in scope
        declared = _declared_body(scope)
        if declared is None and not on_lambda:
            await self.app(scope, receive, send)
            return
        body = _GuardedBody(self, scope, declared or 0, receive, send, may_close=not on_lambda)
        await self.app(scope, body.receive, body.send)


class _GuardedBody:
    """One request's body as the app reads it, and its answer as the app sends it."""

    def __init__(
        self,
        guard: BodyGuardMiddleware,
        scope: Scope,
        declared: int,
        receive: Receive,
        send: Send,
        *,
        may_close: bool,
    ) -> None:
        self._guard = guard
        self._limit = guard.limit_for(scope)
        self._declared = declared
        self._receive = receive
        self._send = send
        self._may_close = may_close
        self._received = 0
        self._complete = False
        # The event loop's clock: asyncio's own timeout is a timer on it (less than half what a
        # cancel scope costs a small request, which reads its body in one message).
        self._read_by = asyncio.get_running_loop().time() + guard.read_timeout

    async def receive(self) -> Message:
        if self._complete:
            return await self._receive()
        limit = self._limit
        if self._declared > limit:
            raise PayloadTooLarge(limit)
        try:
            async with asyncio.timeout_at(self._read_by):
                message = await self._receive()
        except TimeoutError as exc:
            raise BodyReadTimeout(self._guard.read_timeout) from exc
        if message["type"] == "http.request":
            self._received += len(message.get("body", b""))
            if self._received > limit:
                raise PayloadTooLarge(limit)
            self._complete = not message.get("more_body", False)
        return message

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start" and self._may_close and not self._complete:
            message = {**message, "headers": [*message.get("headers", []), _CLOSE]}
        await self._send(message)


def _declared_body(scope: Scope) -> int | None:
    """The declared body size: Content-Length, or 0 for a chunked body of unknown size; None
    when the request has no body."""
    size: int | None = None
    for name, value in scope["headers"]:
        if name == b"content-length":
            size = int(value) if value.isdigit() else 0
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            return 0
    return size or None
