"""Errors as GraphQL answers them: `extensions.code` names what went wrong (for our errors, the
code column of gateway/errors.py's table).

Domain errors keep their message and gain a code (and the offending fields, or the store);
GraphQL's own errors keep theirs and gain the code of the step that raised them: the document
does not parse (`GRAPHQL_PARSE_FAILED`), does not validate (`GRAPHQL_VALIDATION_FAILED`), or a
value does not fit its type (`BAD_USER_INPUT`); anything else is masked and logged, so no stack
trace, SQL or AWS text reaches a client.
"""

import logging
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import MaskErrors

from gateway.errors import answers_for
from gateway.middleware.request_id import current_request_id
from schema.errors import (
    EventLogError,
    FieldError,
    InvalidInput,
    IssuerUnavailable,
    StoreUnavailable,
)

logger = logging.getLogger(__name__)

PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
BAD_USER_INPUT = "BAD_USER_INPUT"
OPERATION_RESOLUTION_FAILURE = "OPERATION_RESOLUTION_FAILURE"
VALIDATION_BUDGET_MESSAGE = (
    "The document is too costly to validate: it repeats the same fields or fragments too many "
    "times. Ask for each field once."
)

# The GraphQL names of the fields the shared rules name as REST does (`events(first, after)`
# are REST's `limit` and `cursor`; every other argument has the same name in both).
GRAPHQL_NAMES = {"limit": "first", "cursor": "after", "events": "inputs"}


def domain_error(error: EventLogError) -> tuple[str, dict[str, Any]]:
    """The message and extensions that answer one of our errors."""
    extensions: dict[str, Any] = {"code": answers_for(error).code}
    if isinstance(error, InvalidInput):
        fields = [_graphql_field(field_error) for field_error in error.errors]
        extensions["errors"] = [asdict(field_error) for field_error in fields]
        return str(InvalidInput(fields)), extensions
    if isinstance(error, StoreUnavailable | IssuerUnavailable):
        extensions["store"] = error.store
    return str(error), extensions


def _graphql_field(error: FieldError) -> FieldError:
    first, dot, rest = error.field.partition(".")
    name = GRAPHQL_NAMES.get(first, first) + dot + rest
    return FieldError(name, error.message, error.code)


def with_code(error: GraphQLError, code: str) -> GraphQLError:
    return _copy(error, error.message, {"code": code, **(error.extensions or {})})


class ErrorCodes(MaskErrors):
    """Strawberry's MaskErrors, taught our domain errors and GraphQL's steps instead of masking
    them."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda _: True)
        self._validation_errors: list[GraphQLError] = []

    def on_validate(self) -> Iterator[None]:
        yield
        self._validation_errors = list(self.execution_context.pre_execution_errors or [])

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if isinstance(error, GraphQLSyntaxError):
            return with_code(error, PARSE_FAILED)
        if any(error is failed for failed in self._validation_errors):
            if error.message == "Validation aborted.":
                # graphql-core's budget for comparing fields and fragments ran out.
                return _copy(error, VALIDATION_BUDGET_MESSAGE, {"code": VALIDATION_FAILED})
            return with_code(error, VALIDATION_FAILED)
        if original is None or isinstance(original, GraphQLError):
            # A value that does not fit its type: a variable, or an argument at execution.
            return with_code(error, BAD_USER_INPUT)
        if isinstance(original, EventLogError):
            return _copy(error, *domain_error(original))
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
