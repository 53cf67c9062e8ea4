"""GraphQL over HTTP at /graphql: reading a request and shaping every answer, by the
GraphQL-over-HTTP specification (graphql/graphql-over-http, the 2025 draft).

- POST carries a JSON object (`Content-Type: application/json`, UTF-8) with `query` (a string),
  and optionally `operationName` (a string), `variables` and `extensions` (objects). GET carries
  the same parameters in the query string (`variables` and `extensions` as JSON), for queries
  only: a mutation over GET is refused with 405 and `Allow: POST`.
- The answer is `application/graphql-response+json` when the client accepts it (an absent
  `Accept`, or `*/*`, accepts it), else `application/json`; 406 when it accepts neither.
- A request that is not well-formed (not JSON, not an object, a batch array, a parameter of the
  wrong type, no query) is 400; another media type is 415; a body too large 413, too slow 408.
- A request error (the document does not parse or validate, the operation cannot be chosen,
  the variables do not coerce) has no `data`: 400 as `application/graphql-response+json`, 200
  as `application/json` (as the specification says for each). Anything executed is 200, its
  failures listed in `errors` beside the `data`.
- Every answer is a GraphQL response: `{"errors": [{"message", "extensions": {"code"}}]}` for
  errors, never plain text.

Strawberry's own HTTP handling answers most of those cases with `text/plain` 400s (and a body
that is not a JSON object with a 500), so this module does the reading and the shaping, and
Strawberry parses, validates and executes.
"""

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from graphql import GraphQLSyntaxError, parse
from starlette.requests import Request
from starlette.responses import Response
from strawberry.http import process_result
from strawberry.types import ExecutionResult

from gateway.graphql.errors import PARSE_FAILED, with_code
from gateway.graphql.refusal import GRAPHQL_RESPONSE, JSON, RequestRefused, graphql_response
from gateway.middleware.body_guard import BodyReadTimeout, PayloadTooLarge
from schema.errors import offending_fields
from schema.jsonvalue import DuplicateKeys, JsonTooDeep, MalformedJson, parse_json

PARAMETERS = ("query", "operationName", "variables", "extensions")


@dataclass(frozen=True)
class GraphQLParams:
    query: str
    operation_name: str | None = None
    variables: dict[str, Any] | None = None
    extensions: dict[str, Any] | None = None


async def read_params(request: Request) -> GraphQLParams:
    """The request's parameters, checked for shape (not for meaning: Strawberry does that)."""
    if request.method == "GET":
        return _params(_query_string_parameters(request))
    media, _, parameters = (request.headers.get("content-type") or "").partition(";")
    charset = next(
        (value for name, _, value in _pairs(parameters) if name == "charset"), "utf-8"
    ).strip('"')
    if media.strip().lower() != JSON or charset.lower() != "utf-8":
        raise RequestRefused(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "Send the request as `Content-Type: application/json` (UTF-8).",
        )
    try:
        body = parse_json(await request.body(), decimal_integers=False)
    except (MalformedJson, JsonTooDeep) as exc:
        raise _bad_request("The body is not a JSON document.") from exc
    except DuplicateKeys as exc:
        raise _repeated_keys(exc) from exc
    except PayloadTooLarge as exc:
        status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
        raise RequestRefused(status, "PAYLOAD_TOO_LARGE", str(exc)) from exc
    except BodyReadTimeout as exc:
        raise RequestRefused(HTTPStatus.REQUEST_TIMEOUT, "REQUEST_TIMEOUT", str(exc)) from exc
    if isinstance(body, list):
        raise _bad_request("Batches are not supported: send one operation per request.")
    if not isinstance(body, dict):
        raise _bad_request("The body must be a JSON object with a `query`.")
    return _params(body)


def _pairs(parameters: str) -> list[tuple[str, str, str]]:
    return [
        (name.strip().lower(), separator, value.strip())
        for name, separator, value in (part.partition("=") for part in parameters.split(";"))
    ]


def _query_string_parameters(request: Request) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name in PARAMETERS:
        values = request.query_params.getlist(name)
        if len(values) > 1:
            raise _bad_request(f"`{name}` is given {len(values)} times; give it once.")
        if values and values[0] != "":
            found[name] = values[0]
    for name in ("variables", "extensions"):
        if name in found:
            try:
                found[name] = parse_json(found[name], decimal_integers=False)
            except (MalformedJson, JsonTooDeep) as exc:
                raise _bad_request(f"`{name}` must be a JSON object.") from exc
            except DuplicateKeys as exc:
                raise _repeated_keys(exc) from exc
    return found


def _params(found: dict[str, Any]) -> GraphQLParams:
    query = found.get("query")
    extensions = found.get("extensions")
    for name, kind, wanted in (
        ("query", str, "a string"),
        ("operationName", str, "a string"),
        ("variables", dict, "an object"),
        ("extensions", dict, "an object"),
    ):
        value = found.get(name)
        if value is not None and not isinstance(value, kind):
            raise _bad_request(f"`{name}` must be {wanted} or null.")
    if query is None:
        if isinstance(extensions, dict) and "persistedQuery" in extensions:
            # Apollo Client's persisted-query link falls back to sending the query on this.
            raise RequestRefused(
                HTTPStatus.BAD_REQUEST,
                "PERSISTED_QUERY_NOT_SUPPORTED",
                "PersistedQueryNotSupported",
            )
        raise _bad_request("No GraphQL query: give `query`, the document to run.")
    return GraphQLParams(
        query=query,
        operation_name=found.get("operationName") or None,
        variables=found.get("variables"),
        extensions=extensions,
    )


def _repeated_keys(exc: DuplicateKeys) -> RequestRefused:
    fields = offending_fields(exc.errors)
    return _bad_request(f"A key is repeated, which leaves its value unclear: {fields}.")


def _bad_request(message: str) -> RequestRefused:
    return RequestRefused(HTTPStatus.BAD_REQUEST, "BAD_REQUEST", message)


def parse_failure(query: str) -> ExecutionResult | None:
    """The answer to a document made of nothing but whitespace and comments, which Strawberry
    would take for a missing query: it is a document that does not parse. Every operation and
    fragment has a selection set in braces, so a document with a brace is left to Strawberry
    (whose parse is cached), and only one without is parsed here."""
    if "{" in query:
        return None
    try:
        parse(query)
    except GraphQLSyntaxError as error:
        return ExecutionResult(data=None, errors=[with_code(error, PARSE_FAILED)])
    return None


def result_response(result: ExecutionResult, media: str) -> Response:
    body: dict[str, Any] = dict(process_result(result))
    if _is_request_error(result):
        del body["data"]
        status = HTTPStatus.BAD_REQUEST if media == GRAPHQL_RESPONSE else HTTPStatus.OK
        return graphql_response(body, status, media)
    return graphql_response(body, HTTPStatus.OK, media)


def _is_request_error(result: ExecutionResult) -> bool:
    """Errors raised before execution (parse, validation, variables) have no path, and leave
    no `data` at all; errors during execution have a path and sit beside `data`."""
    return (
        result.data is None
        and bool(result.errors)
        and all(error.path is None for error in result.errors or [])
    )
