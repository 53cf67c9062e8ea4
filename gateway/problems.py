"""The one mapping from errors to HTTP: RFC 9457 `application/problem+json` bodies.

Domain errors carry no HTTP knowledge; this table gives each its status and title. Anything
unexpected is answered by `internal_error_problem`: no stack trace, SQL or AWS text ever reaches
a client.
"""

from collections.abc import Mapping
from dataclasses import asdict
from http import HTTPStatus
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway.body import MalformedBody, PayloadTooLarge, UnsupportedMediaType
from gateway.request_id import current_request_id
from gateway.responses import ProblemResponse
from schema.errors import (
    EventConflict,
    EventLogError,
    EventNotFound,
    FieldError,
    InvalidCursor,
    InvalidInput,
    StoreUnavailable,
    offending_fields,
)
from schema.events import field_error

PROBLEM_TYPE_PREFIX = "urn:eventlog:problem:"

# status, slug, title — by error class.
_PROBLEMS: dict[type[Exception], tuple[HTTPStatus, str, str]] = {
    InvalidInput: (HTTPStatus(422), "validation", "Request breaks the rules"),
    EventConflict: (HTTPStatus.CONFLICT, "conflict", "Event already exists with other content"),
    EventNotFound: (HTTPStatus.NOT_FOUND, "not-found", "No such event"),
    InvalidCursor: (HTTPStatus.BAD_REQUEST, "invalid-cursor", "Invalid cursor"),
    StoreUnavailable: (HTTPStatus.SERVICE_UNAVAILABLE, "unavailable", "Store unavailable"),
    UnsupportedMediaType: (
        HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
        "Body must be application/json",
    ),
    PayloadTooLarge: (HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "too-large", "Body too large"),
    MalformedBody: (HTTPStatus.BAD_REQUEST, "malformed-json", "Body is not valid JSON"),
}

_DETAILS = {
    UnsupportedMediaType: "Send the body as JSON with `Content-Type: application/json`.",
    MalformedBody: "The body could not be parsed as UTF-8 JSON.",
}


def problem(
    status: HTTPStatus,
    slug: str,
    title: str,
    detail: str,
    *,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> ProblemResponse:
    body = {
        "type": PROBLEM_TYPE_PREFIX + slug,
        "title": title,
        "status": int(status),
        "detail": detail,
        "requestId": current_request_id(),
        **extensions,
    }
    return ProblemResponse(body, status_code=int(status), headers=headers)


def validation_problem(errors: list[FieldError]) -> ProblemResponse:
    status, slug, title = _PROBLEMS[InvalidInput]
    return problem(
        status,
        slug,
        title,
        f"{len(errors)} problem(s) in: {offending_fields(errors)}",
        errors=[asdict(error) for error in errors],
    )


async def _domain_error(request: Request, exc: Exception) -> ProblemResponse:
    if isinstance(exc, InvalidInput):
        return validation_problem(exc.errors)
    status, slug, title = next(
        mapping for kind, mapping in _PROBLEMS.items() if isinstance(exc, kind)
    )
    detail = _DETAILS.get(type(exc), str(exc))
    extensions: dict[str, Any] = {}
    headers = None
    if isinstance(exc, StoreUnavailable):
        retry_after = str(request.app.state.settings.retry_after_seconds)
        headers = {"Retry-After": retry_after}
        extensions["store"] = exc.store
    return problem(status, slug, title, detail, headers=headers, **extensions)


async def _request_validation_error(_request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    # FastAPI's locations start with where the value came from ("query", "path"): drop it.
    errors = [field_error(error, error["loc"][1:] or error["loc"][:1]) for error in exc.errors()]
    return validation_problem(errors)


async def _http_error(_request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = HTTPStatus(exc.status_code)
    slug = status.phrase.lower().replace(" ", "-")
    return problem(status, slug, status.phrase, str(exc.detail), headers=exc.headers)


def internal_error_problem() -> ProblemResponse:
    """The answer to anything unexpected: it says nothing of what went wrong inside."""
    status = HTTPStatus.INTERNAL_SERVER_ERROR
    return problem(
        status,
        "internal",
        status.phrase,
        "Something went wrong on our side; quote the requestId when reporting it.",
    )


def install_problem_handlers(app: FastAPI) -> None:
    install_problem_openapi(app)
    for kind in (EventLogError, UnsupportedMediaType, PayloadTooLarge, MalformedBody):
        app.add_exception_handler(kind, _domain_error)
    app.add_exception_handler(RequestValidationError, _request_validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    # Unexpected exceptions are answered by RequestContextMiddleware (see there why).


class ProblemBody(BaseModel):
    """RFC 9457 problem details, as every error is answered."""

    type: str = Field(examples=["urn:eventlog:problem:conflict"])
    title: str
    status: int
    detail: str
    request_id: str = Field(alias="requestId")


class FieldErrorBody(BaseModel):
    field: str = Field(examples=["details.items[2].price"])
    message: str
    code: str = Field(examples=["number_too_precise"])


class ValidationProblemBody(ProblemBody):
    errors: list[FieldErrorBody]


class UnavailableProblemBody(ProblemBody):
    store: Literal["metadata", "details"]


_RESPONSE_DOCS: dict[int, tuple[type[BaseModel], str]] = {
    400: (ProblemBody, "Malformed JSON, or a malformed, altered or foreign cursor."),
    404: (ProblemBody, "No such event for this user."),
    409: (ProblemBody, "The eventId exists with different content; nothing changed."),
    413: (ProblemBody, "The body is over the size limit."),
    415: (ProblemBody, "The body is not application/json."),
    422: (ValidationProblemBody, "The request breaks a rule; `errors` lists every field."),
    503: (UnavailableProblemBody, "A store is unavailable; retry after `Retry-After` seconds."),
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problems a route can answer."""
    return {
        status: {
            "model": _RESPONSE_DOCS[status][0],
            "description": _RESPONSE_DOCS[status][1],
        }
        for status in statuses
    }


def install_problem_openapi(app: FastAPI) -> None:
    """FastAPI files every documented model under application/json; ours are problems."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = generate()
            for operation in (op for ops in spec["paths"].values() for op in ops.values()):
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if int(status) >= 400 and "application/json" in content:
                        content[ProblemResponse.media_type] = content.pop("application/json")
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
