"""Request bodies, safely: a size bound for every route, then media type and parsing for JSON.

The size bound is enforced while the body streams in (and from Content-Length before that), so an
oversized upload is refused before it is held in memory whole, for REST and GraphQL alike.
"""

from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from schema.errors import FieldError, InvalidInput
from schema.jsonvalue import JsonTooDeep, MalformedJson, parse_json


class UnsupportedMediaType(Exception):
    pass


class PayloadTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"The body exceeds {limit} bytes.")
        self.limit = limit


class MalformedBody(Exception):
    pass


def is_json_media_type(content_type: str | None) -> bool:
    media = (content_type or "").split(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class BodyLimitMiddleware:
    """Refuses a body over `max_bytes` as soon as that is known: the declared length, or the
    bytes received so far. The error surfaces where the route reads the body, and the problem
    handlers answer it (413)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        received = 0

        async def bounded_receive() -> Message:
            nonlocal received
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise PayloadTooLarge(self.max_bytes)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise PayloadTooLarge(self.max_bytes)
            return message

        await self.app(scope, bounded_receive, send)


async def read_json_body(request: Request) -> Any:
    if not is_json_media_type(request.headers.get("content-type")):
        raise UnsupportedMediaType
    body = await request.body()
    try:
        return parse_json(body.decode("utf-8"))
    except (MalformedJson, UnicodeDecodeError) as exc:
        raise MalformedBody from exc
    except JsonTooDeep as exc:
        raise InvalidInput(
            [FieldError("", "the document nests far deeper than 32 levels", "too_deep")]
        ) from exc


JsonBody = Annotated[Any, Depends(read_json_body)]
