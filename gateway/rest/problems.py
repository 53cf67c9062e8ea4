"""The one mapping from errors to HTTP: RFC 9457 `application/problem+json` bodies.

Domain errors carry no HTTP knowledge; gateway/errors.py's table gives each its status and
title. Anything
unexpected is answered by `gateway.responses.internal_error_problem`: no stack trace, SQL or AWS
text ever reaches a client.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from http import HTTPStatus
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from gateway.auth.bearer import challenge
from gateway.deps import BEARER_SCHEME, BEARER_SCHEME_NAME
from gateway.errors import ANSWERS, MalformedBody, UnsupportedMediaType, answers_for
from gateway.middleware.body_guard import BodyReadTimeout, PayloadTooLarge
from gateway.middleware.request_id import request_named
from gateway.responses import ProblemResponse, internal_problem_body, problem_body
from schema.errors import (
    EventLogError,
    FieldError,
    InvalidInput,
    IssuerUnavailable,
    StoreUnavailable,
    problems_summary,
)
from schema.events import field_error

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
    body = problem_body(status, slug, title, detail, **extensions)
    return ProblemResponse(body, status_code=int(status), headers=headers)


def domain_problem(exc: Exception) -> tuple[HTTPStatus, dict[str, Any]]:
    """The status and body that answer one of our errors (the handler adds headers)."""
    answers = answers_for(exc)
    status, slug, title = answers.status, answers.slug, answers.title
    if isinstance(exc, InvalidInput):
        detail = problems_summary(exc.errors)
        errors = [asdict(error) for error in exc.errors]
        return status, problem_body(status, slug, title, detail, errors=errors)
    extensions = (
        {"store": exc.store} if isinstance(exc, StoreUnavailable | IssuerUnavailable) else {}
    )
    detail = _DETAILS.get(type(exc), str(exc))
    return status, problem_body(status, slug, title, detail, **extensions)


def validation_problem(errors: list[FieldError]) -> ProblemResponse:
    status, body = domain_problem(InvalidInput(errors))
    return ProblemResponse(body, status_code=int(status))


async def _domain_error(request: Request, exc: Exception) -> ProblemResponse:
    status, body = domain_problem(exc)
    headers = challenge(exc) if isinstance(exc, EventLogError) else {}
    if isinstance(exc, StoreUnavailable | IssuerUnavailable):
        headers["Retry-After"] = str(request.app.state.settings.retry_after_seconds)
    return ProblemResponse(body, status_code=int(status), headers=headers)


async def _request_validation_error(_request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    # FastAPI's locations start with where the value came from ("query", "path"): drop it.
    errors = [field_error(error, error["loc"][1:] or error["loc"][:1]) for error in exc.errors()]
    return validation_problem(errors)


async def _http_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = HTTPStatus(exc.status_code)
    slug = status.phrase.lower().replace(" ", "-")
    headers = exc.headers
    if status == HTTPStatus.METHOD_NOT_ALLOWED:
        # Starlette names the methods of the first route at this path; several routes share
        # one (GET and DELETE /events/{userId}), and HEAD goes with GET (middleware/head.py).
        headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
    return problem(status, slug, status.phrase, str(exc.detail), headers=headers)


def problem_slugs() -> frozenset[str]:
    """Every problem type this module answers (`urn:eventlog:problem:<slug>`): the values the
    metrics' `problem` label may take."""
    statuses = {status.phrase.lower().replace(" ", "-") for status in HTTPStatus}
    return frozenset({answers.slug for answers in ANSWERS.values()} | {"internal"} | statuses)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route answers at this request's path: each asked of the router as the
    same request with that method (routes' own `matches`, included routers too)."""
    allowed = [
        method
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL
            for route in request.app.router.routes
        )
    ]
    if "GET" in allowed:
        allowed.insert(1, "HEAD")
    return allowed


def install_problem_handlers(app: FastAPI) -> None:
    install_problem_openapi(app)
    for kind in (
        EventLogError,
        UnsupportedMediaType,
        PayloadTooLarge,
        BodyReadTimeout,
        MalformedBody,
    ):
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
    request_id: str = Field(alias="requestId", description="Quote it when reporting a problem.")


class FieldErrorBody(BaseModel):
    field: str = Field(examples=["details.items[2].price"])
    message: str
    code: str = Field(examples=["number_too_precise"])


class ValidationProblemBody(ProblemBody):
    errors: list[FieldErrorBody]


class UnavailableProblemBody(ProblemBody):
    store: Literal["metadata", "details", "auth"] = Field(
        description="The store that cannot answer: `auth` is the token issuer's keys."
    )


class NotReadyProblemBody(ProblemBody):
    stores: dict[Literal["metadata", "details"], Literal["ok", "unavailable"]]


STORE_NAMES: tuple[Literal["metadata", "details"], ...] = ("metadata", "details")


def not_ready_body(failing: Sequence[str]) -> dict[str, Any]:
    """The readiness probe's 503: which store does not answer."""
    unavailable = ANSWERS[StoreUnavailable]
    status, slug, title = unavailable.status, unavailable.slug, unavailable.title
    stores = {name: ("unavailable" if name in failing else "ok") for name in STORE_NAMES}
    detail = f"Not answering: {', '.join(failing)}."
    return problem_body(status, slug, title, detail, stores=stores)


EXAMPLE_REQUEST_ID = "5b0c0f3e9d8e4f7c8a1b2c3d4e5f6a7b"
_INTERNAL = "An unexpected error (`internal`); it is logged with the `requestId`, never shown."

ProblemExample = Exception | Callable[[], dict[str, Any]]


def problem_responses(
    answers: Mapping[int, tuple[str, ProblemExample]],
    models: Mapping[int, type[BaseModel]] | None = None,
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problems a route can answer, each with its description and an
    example rendered by the same code that answers it; every route may also answer 500."""
    entries: dict[int | str, dict[str, Any]] = {}
    body_models = {**_MODELS, **(models or {})}
    for status, (description, example) in {
        **answers,
        500: (_INTERNAL, internal_problem_body),
    }.items():
        entries[status] = {
            "model": body_models.get(status, ProblemBody),
            "description": description,
            "content": {"application/json": {"example": _rendered(example)}},
        }
    return entries


_MODELS: dict[int, type[BaseModel]] = {422: ValidationProblemBody, 503: UnavailableProblemBody}


def _rendered(example: ProblemExample) -> dict[str, Any]:
    with request_named(EXAMPLE_REQUEST_ID):
        return domain_problem(example)[1] if isinstance(example, Exception) else example()


def install_problem_openapi(app: FastAPI) -> None:
    """FastAPI files every documented model under application/json; ours are problems. And the
    operations read their caller themselves (gateway/deps.py), so the bearer scheme they name
    is declared here."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = generate()
            spec.setdefault("components", {}).setdefault("securitySchemes", {})[
                BEARER_SCHEME_NAME
            ] = BEARER_SCHEME
            for operation in (op for ops in spec["paths"].values() for op in ops.values()):
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if int(status) >= 400 and "application/json" in content:
                        content[ProblemResponse.media_type] = content.pop("application/json")
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
