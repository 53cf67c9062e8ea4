"""The one mapping from errors to GraphQL: `extensions.code` names what went wrong.

Domain errors keep their message and gain a code (and the offending fields, or the store);
GraphQL's own validation errors pass through; anything else is masked and logged, so no stack
trace, SQL or AWS text reaches a client.
"""

import logging
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from gateway.graphql.refusal import REFUSAL_CODES
from gateway.request_id import current_request_id
from schema.errors import (
    EventConflict,
    EventLogError,
    EventNotFound,
    FieldError,
    Forbidden,
    InvalidCursor,
    InvalidInput,
    StoreUnavailable,
)

logger = logging.getLogger(__name__)

_CODES: dict[type[EventLogError], str] = {
    InvalidInput: "BAD_USER_INPUT",
    InvalidCursor: "INVALID_CURSOR",
    EventConflict: "CONFLICT",
    EventNotFound: "NOT_FOUND",
    StoreUnavailable: "SERVICE_UNAVAILABLE",
    Forbidden: "FORBIDDEN",
    **REFUSAL_CODES,
}

# GraphQL names for the list query's fields.
_ARGUMENT_NAMES = {"limit": "first", "cursor": "after"}


def _extensions(error: EventLogError) -> dict[str, Any]:
    code = next(code for kind, code in _CODES.items() if isinstance(error, kind))
    extensions: dict[str, Any] = {"code": code}
    if isinstance(error, InvalidInput):
        extensions["errors"] = [_field(field_error) for field_error in error.errors]
    if isinstance(error, StoreUnavailable):
        extensions["store"] = error.store
    return extensions


def _field(error: FieldError) -> dict[str, str]:
    name = _ARGUMENT_NAMES.get(error.field, error.field)
    return {"field": name, "message": error.message, "code": error.code}


class ErrorCodes(MaskErrors):
    """Strawberry's MaskErrors, taught our domain errors instead of masking them."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda _: True)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if original is None or isinstance(original, GraphQLError):
            # GraphQL's own checks: the document (validation) or a variable's type (coercion).
            code = "GRAPHQL_VALIDATION_FAILED" if original is None else "BAD_USER_INPUT"
            return _copy(error, error.message, {"code": code, **(error.extensions or {})})
        if isinstance(original, EventLogError):
            return _copy(error, str(original), _extensions(original))
        logger.error("unhandled GraphQL error", exc_info=original)
        return _copy(
            error,
            "Something went wrong on our side; quote the requestId when reporting it.",
            {"code": "INTERNAL_SERVER_ERROR", "requestId": current_request_id()},
        )


def _copy(error: GraphQLError, message: str, extensions: dict[str, Any]) -> GraphQLError:
    return GraphQLError(
        message=message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions=extensions,
    )
