"""Reading a JSON request body safely: media type first, then a bounded read, then parsing.

The size bound is enforced while the body streams in, so an oversized upload is refused before
it is held in memory whole.
"""

from typing import Annotated, Any

from fastapi import Depends, Request

from gateway.deps import ResolverDep
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


async def read_json_body(request: Request, resolver: ResolverDep) -> Any:
    if not is_json_media_type(request.headers.get("content-type")):
        raise UnsupportedMediaType
    limit = resolver.limits.max_body_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(limit)
    try:
        return parse_json(bytes(body).decode("utf-8"))
    except (MalformedJson, UnicodeDecodeError) as exc:
        raise MalformedBody from exc
    except JsonTooDeep as exc:
        raise InvalidInput(
            [FieldError("", "the document nests far deeper than 32 levels", "too_deep")]
        ) from exc


JsonBody = Annotated[Any, Depends(read_json_body)]
