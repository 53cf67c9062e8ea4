"""REST request bodies: the media type, then JSON parsing (`gateway.middleware.body_guard`
bounds their size and the time they take to arrive, for both doors)."""

from typing import Any

from fastapi import Request

from gateway.errors import MalformedBody, UnsupportedMediaType
from schema.jsonvalue import (
    DuplicateKeys,
    JsonTooDeep,
    MalformedJson,
    NestsTooDeep,
    parse_json_keeping_repeats,
    repeated_keys,
)

# What every operation with a body documents for its 415 (description, example).
UNSUPPORTED_MEDIA_TYPE_ANSWER = (
    "`Content-Type` is not `application/json` or `application/*+json` (`unsupported-media-type`).",
    UnsupportedMediaType(),
)


def is_json_media_type(content_type: str | None) -> bool:
    media = (content_type or "").split(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def read_json_body(request: Request) -> Any:
    value, repeats = await _read_json(request)
    if repeats:
        raise DuplicateKeys(repeated_keys(value))
    return value


async def read_batch_body(request: Request) -> tuple[Any, bool]:
    """A batch, and whether it repeats a key anywhere: a repeated key is refused per event (it
    is `invalid`), not for the batch."""
    return await _read_json(request)


async def _read_json(request: Request) -> tuple[Any, bool]:
    if not is_json_media_type(request.headers.get("content-type")):
        raise UnsupportedMediaType
    body = await request.body()
    try:
        return parse_json_keeping_repeats(body.decode("utf-8"))
    except (MalformedJson, UnicodeDecodeError) as exc:
        raise MalformedBody from exc
    except JsonTooDeep as exc:
        raise NestsTooDeep from exc
