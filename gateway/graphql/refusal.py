"""GraphQL requests refused as a whole, answered in GraphQL's shape and the media type the client
accepts (GraphQL over HTTP: docs/graphql.md).

A request is refused before anything runs when it is not a GraphQL-over-HTTP request /graphql
serves (400, 405, 406, 408, 413, 415: `gateway.graphql.http`), or when its bearer token cannot be
accepted (401), or checked because the issuer's keys cannot be fetched (503). No GraphQL response
is made then, only its `errors`, with an HTTP status that says what happened.

Kept apart from Strawberry (nothing here imports it), so the app can install the answer at
start-up while the GraphQL machinery itself is built on the first /graphql request.
"""

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import Request
from starlette.responses import Response

from gateway.auth.bearer import challenge
from persistence.telemetry import note_problem
from schema.errors import EventLogError, IssuerUnavailable, Unauthenticated
from schema.jsonvalue import dump_json

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"

# `extensions.code` of the errors about the caller (as refusals, or as field errors: errors.py).
REFUSAL_CODES: dict[type[EventLogError], str] = {
    Unauthenticated: "UNAUTHENTICATED",
    IssuerUnavailable: "SERVICE_UNAVAILABLE",
}
# Every `extensions.code` /graphql answers: the values the metrics' `problem` label may take.
GRAPHQL_CODES = frozenset(
    {
        "BAD_REQUEST",
        "BAD_USER_INPUT",
        "CONFLICT",
        "FORBIDDEN",
        "GRAPHQL_PARSE_FAILED",
        "GRAPHQL_VALIDATION_FAILED",
        "INTERNAL_SERVER_ERROR",
        "INVALID_CURSOR",
        "METHOD_NOT_ALLOWED",
        "NOT_ACCEPTABLE",
        "NOT_FOUND",
        "OPERATION_RESOLUTION_FAILURE",
        "PAYLOAD_TOO_LARGE",
        "PERSISTED_QUERY_NOT_SUPPORTED",
        "REQUEST_TIMEOUT",
        "SERVICE_UNAVAILABLE",
        "UNAUTHENTICATED",
        "UNSUPPORTED_MEDIA_TYPE",
    }
)
# What the metrics call a /graphql request that runs an operation, by its type (one refused or
# not parsed is its route's: `POST /graphql`).
GRAPHQL_OPERATIONS = frozenset({"graphql query", "graphql mutation"})


class RequestRefused(Exception):
    def __init__(
        self,
        status: HTTPStatus,
        code: str,
        message: str,
        headers: Mapping[str, str] | None = None,
        extensions: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        self.extensions = {"code": code, **(extensions or {})}

    @classmethod
    def caller_not_accepted(
        cls, error: Unauthenticated | IssuerUnavailable, retry_after_seconds: int
    ) -> "RequestRefused":
        """A token that cannot be accepted (401, its WWW-Authenticate challenge), or checked
        now (503, with Retry-After, naming `auth` as the store that cannot answer)."""
        code = REFUSAL_CODES[type(error)]
        if isinstance(error, IssuerUnavailable):
            headers = {"Retry-After": str(retry_after_seconds)}
            store = {"store": error.store}
            return cls(HTTPStatus.SERVICE_UNAVAILABLE, code, str(error), headers, store)
        return cls(HTTPStatus.UNAUTHORIZED, code, str(error), challenge(error))


def response_media_type(accept: str | None) -> str | None:
    """The media type to answer in, by the `Accept` header (RFC 9110 §12.5.1): the one the
    client ranks higher, `application/graphql-response+json` on a tie; None if it accepts
    neither. No `Accept` at all is taken as `application/graphql-response+json`."""
    if accept is None or not accept.strip():
        return GRAPHQL_RESPONSE
    ranges = [_media_range(item) for item in accept.split(",") if item.strip()]
    ranked = [(_quality(ranges, candidate), candidate) for candidate in (GRAPHQL_RESPONSE, JSON)]
    quality, best = max(ranked, key=lambda ranked_candidate: ranked_candidate[0])
    return best if quality > 0 else None


def _media_range(item: str) -> tuple[str, float]:
    media, *parameters = (part.strip() for part in item.split(";"))
    quality = 1.0
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
    return media.lower(), quality


def _quality(ranges: list[tuple[str, float]], candidate: str) -> float:
    """The quality of the most specific range that matches (`type/sub` over `type/*` over
    `*/*`)."""
    main_type = candidate.split("/")[0]
    for pattern in (candidate, f"{main_type}/*", "*/*"):
        matching = [quality for media, quality in ranges if media == pattern]
        if matching:
            return max(matching)
    return 0.0


def refusal_response(refusal: RequestRefused, media: str | None) -> Response:
    note_problem(refusal.code, refusal.extensions.get("store"))
    body = {"errors": [{"message": refusal.message, "extensions": refusal.extensions}]}
    return graphql_response(body, refusal.status, media or JSON, refusal.headers)


async def refused_response(request: Request, exc: Exception) -> Response:
    """The app's handler for refusals raised outside the GraphQL router (its context getter)."""
    assert isinstance(exc, RequestRefused)
    return refusal_response(exc, response_media_type(request.headers.get("accept")))


def graphql_response(
    body: dict[str, Any],
    status: HTTPStatus,
    media: str,
    headers: Mapping[str, str] | None = None,
) -> Response:
    return Response(
        dump_json(body),
        status_code=int(status),
        headers={"Vary": "Accept", **(headers or {})},
        media_type=f"{media}; charset=utf-8",
    )
