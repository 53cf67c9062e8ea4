"""A GraphQL fuzzer: generated requests against the app with its real stores, valid and broken
(or, with `make test-remote`, against a deployment).

Operations are drawn from the served schema (every root field, a random selection of its
fields, arguments as literals or variables, values of the right type or not), then maybe broken
(cut, spliced, replaced by noise); bodies are every kind of JSON and non-JSON; requests go by
GET and POST with assorted `Accept` and `Content-Type` headers. Every answer must be what
docs/graphql.md promises: a GraphQL response (or GraphiQL's page), never a 5xx, never an
`INTERNAL_SERVER_ERROR`, with a documented code on every error and the status the media type
calls for.
"""

import json
import string
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.graphql.schema import build_schema
from tests.api.graphql.documented import documented_codes

SCHEMA = build_schema()._schema
GRAPHQL_RESPONSE = "application/graphql-response+json; charset=utf-8"
JSON = "application/json; charset=utf-8"
GOOD_ACCEPTS = [
    None,
    "*/*",
    "application/json",
    "application/graphql-response+json",
    "application/graphql-response+json, application/json;q=0.9",
    "application/*;q=0.5, text/html",
]
ACCEPTS = st.one_of(
    st.sampled_from(GOOD_ACCEPTS), st.sampled_from([*GOOD_ACCEPTS, "text/html", "text/plain"])
)
CONTENT_TYPES = st.one_of(
    st.sampled_from(["application/json", "application/json; charset=utf-8"]),
    st.sampled_from(["application/json", "application/graphql", "text/plain", None]),
)
# Requests sent, and server errors seen, by every run of the fuzzer in this process.
SENT: dict[str, int] = {"requests": 0, "server_errors": 0}

# --- values ----------------------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
timestamps = st.one_of(
    st.datetimes(timezones=st.timezones()).map(lambda moment: moment.isoformat()),
    st.sampled_from(["2026-11-24T09:30:00Z", "0001-01-01T00:00:00+01:00", "1700000000", ""]),
    st.text(max_size=30),
)
known_ids = st.sampled_from(["user-42", "fuzz-user", "click"])
user_ids = st.one_of(known_ids, known_ids, st.text(max_size=140))
# The arguments and input fields whose strings are drawn from `user_ids`, mostly valid.
IDENTIFIERS = {"userId", "eventType", "eventTypes"}


def value_for(type_: GraphQLInputType, name: str) -> st.SearchStrategy[Any]:
    """A Python value meant for an input of `type_` (the right kind, mostly)."""
    if isinstance(type_, GraphQLNonNull):
        return value_for(type_.of_type, name)
    if isinstance(type_, GraphQLList):
        return st.lists(value_for(type_.of_type, name), max_size=3)
    if isinstance(type_, GraphQLInputObjectType):
        fields = {key: value_for(f.type, key) for key, f in type_.fields.items()}
        required = {key for key, f in type_.fields.items() if isinstance(f.type, GraphQLNonNull)}
        return st.fixed_dictionaries(
            {key: fields[key] for key in required},
            optional={key: fields[key] for key in fields.keys() - required},
        )
    if isinstance(type_, GraphQLEnumType):
        return st.sampled_from(list(type_.values))
    assert isinstance(type_, GraphQLScalarType)
    by_name: dict[str, st.SearchStrategy[Any]] = {
        "Int": st.integers(min_value=-(2**33), max_value=2**33),
        "Float": st.floats(allow_nan=False),
        "Boolean": st.booleans(),
        "String": user_ids if name in IDENTIFIERS else st.text(max_size=40),
        "ID": st.one_of(st.uuids().map(str), st.text(max_size=40)),
        "DateTime": timestamps,
        "JSON": json_values,
    }
    return by_name[type_.name]


def literal(value: Any) -> str:
    """`value` written as a GraphQL literal (enum values are written bare)."""
    if isinstance(value, dict):
        return "{" + " ".join(f"{key}: {literal(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(literal(item) for item in value) + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


@dataclass
class Operation:
    definitions: list[str] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)


@st.composite
def arguments(draw: st.DrawFn, args: dict[str, GraphQLArgument], operation: Operation) -> str:
    written = []
    for name, argument in args.items():
        required = isinstance(argument.type, GraphQLNonNull)
        if not required and draw(st.booleans()):
            continue
        kind = draw(st.sampled_from(["literal", "variable"] * 4 + ["wrong type"]))
        if kind == "wrong type":
            written.append(f"{name}: {literal(draw(json_values))}")
            continue
        value = draw(value_for(argument.type, name))
        if kind == "variable":
            variable = f"v{len(operation.variables)}"
            operation.definitions.append(f"${variable}: {argument.type}")
            operation.variables[variable] = value if draw(st.integers(0, 9)) else draw(json_values)
            written.append(f"{name}: ${variable}")
        else:
            written.append(f"{name}: {literal(value)}")
    return f"({', '.join(written)})" if written else ""


@st.composite
def selection(draw: st.DrawFn, type_: Any, operation: Operation) -> str:
    named = get_named_type(type_)
    if not isinstance(named, GraphQLObjectType):
        return ""
    chosen = draw(st.lists(st.sampled_from(sorted(named.fields)), min_size=1, unique=True))
    parts = [draw(selected_field(name, named.fields[name], operation)) for name in chosen]
    return "{ " + " ".join(parts) + " }"


@st.composite
def selected_field(draw: st.DrawFn, name: str, field_: GraphQLField, operation: Operation) -> str:
    written = name + draw(arguments(field_.args, operation))
    return f"{written} {draw(selection(field_.type, operation))}".strip()


ROOTS = [
    (keyword, root)
    for keyword, root in [("query", SCHEMA.query_type), ("mutation", SCHEMA.mutation_type)]
    if root
]


@st.composite
def operations(draw: st.DrawFn, mutations: int = 1) -> tuple[str, dict[str, Any]]:
    """A document over the schema, its variables, and maybe a flaw or two (one operation in
    `mutations` + 1 is a mutation)."""
    keyword, root = draw(st.sampled_from([ROOTS[0]] * mutations + [ROOTS[1]]))
    operation = Operation()
    name = draw(st.sampled_from(sorted(root.fields)))
    body = draw(selected_field(name, root.fields[name], operation))
    header = f"({', '.join(operation.definitions)})" if operation.definitions else ""
    document = f"{keyword} Fuzz{header} {{ {body} }}"
    flaw = draw(st.sampled_from(["none", "none", "cut", "splice", "unknown field", "noise"]))
    if flaw == "cut":
        document = document[: draw(st.integers(1, len(document)))]
    elif flaw == "splice":
        at = draw(st.integers(0, len(document)))
        document = document[:at] + draw(st.text(string.printable, max_size=5)) + document[at:]
    elif flaw == "unknown field":
        document = document.replace("{ ", "{ nope ", 1)
    elif flaw == "noise":
        document = draw(st.text(min_size=1, max_size=60))
    return document, operation.variables


# --- requests --------------------------------------------------------------------------------


@dataclass
class FuzzRequest:
    method: str
    params: dict[str, str] | None
    content: bytes | None
    headers: dict[str, str]

    @property
    def asks_for_graphiql(self) -> bool:
        return self.method == "GET" and not (self.params or {}).get("query")


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    kind = draw(
        st.sampled_from(["operation", "operation", "operation", "any json", "fields", "raw"])
    )
    if kind == "raw":
        return draw(
            st.one_of(
                st.binary(max_size=40),
                st.sampled_from([b'{"query": "{ __typename }", "query": "{ nope }"}', b"", b"{"]),
            )
        )
    if kind == "any json":
        return json.dumps(draw(json_values)).encode()
    if kind == "fields":
        keys = ["query", "variables", "operationName", "extensions"]
        payload = draw(st.dictionaries(st.sampled_from(keys), json_values))
        return json.dumps(payload).encode()
    document, variables = draw(operations())
    payload = {"query": document, "variables": variables}
    if draw(st.booleans()):
        payload["operationName"] = draw(st.sampled_from(["Fuzz", "Other", None]))
    return json.dumps(payload).encode()


@st.composite
def requests(draw: st.DrawFn) -> FuzzRequest:
    accept = draw(ACCEPTS)
    headers = {"accept": accept} if accept else {}
    if draw(st.booleans()):
        # Mostly queries: a mutation over GET is refused before anything else is looked at.
        document, variables = draw(operations(mutations=4))
        params: dict[str, Any] = {"query": document}
        if bool(variables) or draw(st.booleans()):
            noise = st.text(max_size=20)
            params["variables"] = draw(st.sampled_from([json.dumps(variables)] * 4) | noise)
        if draw(st.integers(0, 4)) == 0:
            params = draw(st.dictionaries(st.sampled_from(["query", "variables"]), st.text()))
        return FuzzRequest("GET", params, None, headers)
    content_type = draw(CONTENT_TYPES)
    if content_type:
        headers["content-type"] = content_type
    return FuzzRequest("POST", None, draw(bodies()), headers)


# --- the checks ------------------------------------------------------------------------------


def send(client: TestClient, request: FuzzRequest) -> httpx.Response:
    outgoing = client.build_request(
        request.method, "/graphql", params=request.params, content=request.content
    )
    for name in ("accept", "content-type"):
        outgoing.headers.pop(name, None)
    outgoing.headers.update(request.headers)
    SENT["requests"] += 1
    response = client.send(outgoing)
    SENT["server_errors"] += response.status_code >= 500
    return response


def assert_documented_answer(request: FuzzRequest, response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    media = response.headers["content-type"]
    if media.startswith("text/html"):
        assert request.asks_for_graphiql and response.status_code == 200
        return
    assert media in {GRAPHQL_RESPONSE, JSON}, media
    body = json.loads(response.content)
    assert isinstance(body, dict) and set(body) <= {"data", "errors", "extensions"}, body
    errors = body.get("errors", [])
    assert "data" in body or errors, body
    for error in errors:
        assert isinstance(error["message"], str) and error["message"], error
        code = error["extensions"]["code"]
        assert code in documented_codes() and code != "INTERNAL_SERVER_ERROR", error
    if "data" in body:
        assert response.status_code == 200, body
    elif media == GRAPHQL_RESPONSE or response.status_code != 200:
        assert 400 <= response.status_code < 500, body


# Deterministic, as every property-based test here (the "eventlog" profile, tests/conftest.py).
FUZZ = settings(max_examples=1200)


@pytest.mark.slow
@FUZZ
@given(request=requests())
def test_every_generated_request_gets_a_documented_graphql_answer(
    client: TestClient, request: FuzzRequest
) -> None:
    assert_documented_answer(request, send(client, request))


@pytest.mark.slow
@FUZZ
@given(operation=operations(), accept=st.sampled_from(GOOD_ACCEPTS))
def test_every_generated_operation_over_post_gets_a_documented_graphql_answer(
    client: TestClient, operation: tuple[str, dict[str, Any]], accept: str | None
) -> None:
    document, variables = operation
    request = FuzzRequest(
        "POST",
        None,
        json.dumps({"query": document, "variables": variables}).encode(),
        {"content-type": "application/json"} | ({"accept": accept} if accept else {}),
    )
    assert_documented_answer(request, send(client, request))
