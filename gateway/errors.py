"""The one table of how each door answers each of our errors: REST's problem (status, type slug,
title) and GraphQL's `extensions.code`, side by side, keyed by the error's class. Domain errors
carry no HTTP or GraphQL knowledge; the doors read their column here (`gateway.rest.problems`,
`gateway.graphql.errors` and `gateway.graphql.refusal`). GraphQL answers the request errors
that have no code here (body, media type) as refusals of its own (`gateway.graphql.http`)."""

from dataclasses import dataclass
from http import HTTPStatus

from gateway.middleware.body_guard import BodyReadTimeout, PayloadTooLarge
from schema.errors import (
    EventConflict,
    EventNotFound,
    Forbidden,
    InvalidCursor,
    InvalidInput,
    IssuerUnavailable,
    StoreUnavailable,
    Unauthenticated,
)


class UnsupportedMediaType(Exception):
    """A REST body that is not JSON by its `Content-Type`."""


class MalformedBody(Exception):
    """A REST body that is not UTF-8 JSON."""


@dataclass(frozen=True)
class DoorAnswers:
    status: HTTPStatus  # REST's status, and GraphQL's when it refuses a whole request
    slug: str  # REST: the problem type is urn:eventlog:problem:<slug>
    title: str  # REST: the problem's title
    code: str | None = None  # GraphQL: extensions.code


ANSWERS: dict[type[Exception], DoorAnswers] = {
    InvalidInput: DoorAnswers(
        HTTPStatus(422), "validation", "Request breaks the rules", "BAD_USER_INPUT"
    ),
    EventConflict: DoorAnswers(
        HTTPStatus.CONFLICT, "conflict", "Event already exists with other content", "CONFLICT"
    ),
    EventNotFound: DoorAnswers(HTTPStatus.NOT_FOUND, "not-found", "No such event", "NOT_FOUND"),
    InvalidCursor: DoorAnswers(
        HTTPStatus.BAD_REQUEST, "invalid-cursor", "Invalid cursor", "INVALID_CURSOR"
    ),
    StoreUnavailable: DoorAnswers(
        HTTPStatus.SERVICE_UNAVAILABLE, "unavailable", "Store unavailable", "SERVICE_UNAVAILABLE"
    ),
    Unauthenticated: DoorAnswers(
        HTTPStatus.UNAUTHORIZED, "unauthenticated", "Authentication required", "UNAUTHENTICATED"
    ),
    Forbidden: DoorAnswers(
        HTTPStatus.FORBIDDEN, "forbidden", "Not allowed for this user", "FORBIDDEN"
    ),
    IssuerUnavailable: DoorAnswers(
        HTTPStatus.SERVICE_UNAVAILABLE,
        "auth-unavailable",
        "Token issuer unavailable",
        "SERVICE_UNAVAILABLE",
    ),
    UnsupportedMediaType: DoorAnswers(
        HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
        "Body must be application/json",
    ),
    PayloadTooLarge: DoorAnswers(
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "too-large", "Body too large"
    ),
    BodyReadTimeout: DoorAnswers(
        HTTPStatus.REQUEST_TIMEOUT, "body-timeout", "Body not received in time"
    ),
    MalformedBody: DoorAnswers(HTTPStatus.BAD_REQUEST, "malformed-json", "Body is not valid JSON"),
}


def answers_for(error: Exception) -> DoorAnswers:
    """The row of `error`'s class, or of the nearest class it derives from that has one."""
    return next(row for kind, row in ANSWERS.items() if isinstance(error, kind))
