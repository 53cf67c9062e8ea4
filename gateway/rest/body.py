"""REST request bodies: the media type, then JSON parsing (`gateway.body_guard` bounds their
size and the time they take to arrive, for both doors)."""

from typing import Annotated, Any

from fastapi import Depends, Request

from schema.errors import FieldError, InvalidInput
from schema.jsonvalue import JsonTooDeep, MalformedJson, parse_json


class UnsupportedMediaType(Exception):
    pass


class MalformedBody(Exception):
    pass


def is_json_media_type(content_type: str | None) -> bool:
    media = (content_type or "").split(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def read_json_body(request: Request) -> Any:
    return await _read_json(request, refuse_repeats=True)


async def read_batch_body(request: Request) -> Any:
    """A batch's repeated keys are refused per event (each is `invalid`), not for the batch."""
    return await _read_json(request, refuse_repeats=False)


async def _read_json(request: Request, *, refuse_repeats: bool) -> Any:
    if not is_json_media_type(request.headers.get("content-type")):
        raise UnsupportedMediaType
    body = await request.body()
    try:
        return parse_json(body.decode("utf-8"), refuse_repeats=refuse_repeats)
    except (MalformedJson, UnicodeDecodeError) as exc:
        raise MalformedBody from exc
    except JsonTooDeep as exc:
        raise InvalidInput(
            [FieldError("", "the document nests far deeper than 32 levels", "too_deep")]
        ) from exc


JsonBody = Annotated[Any, Depends(read_json_body)]
BatchBody = Annotated[Any, Depends(read_batch_body)]
