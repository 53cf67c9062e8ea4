"""Each rule of the OpenAPI check on a tiny document before and after: the breaking changes it
names, line for line, and the additive changes it lets through."""

import copy
import json
from typing import Any

import pytest

from scripts.contract.check import ROOT
from scripts.contract.openapi_changes import breaking_changes

Json = dict[str, Any]
STRING = {"type": "string"}
OPTIONAL_STRING = {"anyOf": [STRING, {"type": "null"}]}


def document(paths: Json, schemas: Json | None = None) -> Json:
    return {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": paths,
        "components": {"schemas": schemas or {}},
    }


def answering(schema: Any, status: str = "200", **response: Any) -> Json:
    """GET /x answering `schema` as JSON."""
    content = {"content": {"application/json": {"schema": schema}}}
    return document(
        {"/x": {"get": {"responses": {status: {"description": "", **content, **response}}}}}
    )


def taking(schema: Any, required: bool = True) -> Json:
    """POST /x taking `schema` as its JSON body."""
    body = {"required": required, "content": {"application/json": {"schema": schema}}}
    return document(
        {"/x": {"post": {"requestBody": body, "responses": {"201": {"description": ""}}}}}
    )


def with_parameters(*parameters: Json) -> Json:
    """GET /x with these query parameters."""
    return document(
        {"/x": {"get": {"parameters": list(parameters), "responses": {"200": {"description": ""}}}}}
    )


def query(name: str, schema: Any, required: bool = False) -> Json:
    return {"name": name, "in": "query", "required": required, "schema": schema}


def obj(required: tuple[str, ...] = (), **properties: Any) -> Json:
    return {"type": "object", "properties": properties, "required": list(required)}


BREAKING = {
    "a path removed": (
        document({"/x": {"get": {}}, "/y": {"get": {}}}),
        document({"/y": {"get": {}}}),
        ["REST: path /x: removed"],
    ),
    "an operation removed": (
        document({"/x": {"get": {}, "delete": {}}}),
        document({"/x": {"get": {}}}),
        ["REST: DELETE /x: removed"],
    ),
    "a success status removed": (
        answering(STRING, "201"),
        answering(STRING, "200"),
        ["REST: GET /x: success response 201: removed"],
    ),
    "a response field removed": (
        answering(obj(("a", "b"), a=STRING, b=STRING)),
        answering(obj(("a",), a=STRING)),
        ["REST: GET /x: response 200: field b: removed"],
    ),
    "a nested response field removed": (
        answering({"type": "array", "items": obj(("a",), a=obj(("b",), b=STRING))}),
        answering({"type": "array", "items": obj(("a",), a=obj())}),
        ["REST: GET /x: response 200: field [].a.b: removed"],
    ),
    "a response field no longer always present": (
        answering(obj(("a",), a=STRING)),
        answering(obj((), a=STRING)),
        ["REST: GET /x: response 200: field a: no longer always present"],
    ),
    "a response field's type changed": (
        answering(obj(("a",), a=STRING)),
        answering(obj(("a",), a={"type": "integer"})),
        ["REST: GET /x: response 200: field a: type changed from string to integer"],
    ),
    "a response field made nullable": (
        answering(obj(("a",), a=STRING)),
        answering(obj(("a",), a=OPTIONAL_STRING)),
        ["REST: GET /x: response 200: field a: type changed from string to null | string"],
    ),
    "a response enum value added": (
        answering({"type": "string", "enum": ["a", "b"]}),
        answering({"type": "string", "enum": ["a", "b", "c"]}),
        ['REST: GET /x: response 200: enum value "c" added'],
    ),
    "a response header removed": (
        answering(STRING, headers={"Location": {"schema": STRING}}),
        answering(STRING),
        ["REST: GET /x: response 200: header Location: removed"],
    ),
    "a response media type removed": (
        answering(STRING),
        document({"/x": {"get": {"responses": {"200": {"content": {"text/plain": {}}}}}}}),
        ["REST: GET /x: response 200: application/json: removed"],
    ),
    "a required request field added": (
        taking(obj(("a",), a=STRING)),
        taking(obj(("a", "b"), a=STRING, b=STRING)),
        ["REST: POST /x: request body: field b: now required"],
    ),
    "an optional request field made required": (
        taking(obj((), a=obj((), b=STRING))),
        taking(obj((), a=obj(("b",), b=STRING))),
        ["REST: POST /x: request body: field a.b: now required"],
    ),
    "a request field removed": (
        taking(obj((), a=STRING, b=STRING)),
        taking(obj((), a=STRING)),
        ["REST: POST /x: request body: field b: removed"],
    ),
    "other request fields refused": (
        taking(obj((), a=STRING)),
        taking(obj((), a=STRING) | {"additionalProperties": False}),
        ["REST: POST /x: request body: other fields no longer taken"],
    ),
    "a request body made required": (
        taking(obj(), required=False),
        taking(obj(), required=True),
        ["REST: POST /x: request body: now required"],
    ),
    "a request field no longer nullable": (
        taking(obj((), a=OPTIONAL_STRING)),
        taking(obj((), a=STRING)),
        ["REST: POST /x: request body: field a: type narrowed from null | string to string"],
    ),
    "a request enum value removed": (
        taking({"type": "string", "enum": ["a", "b"]}),
        taking({"type": "string", "enum": ["a"]}),
        ['REST: POST /x: request body: enum value "b" removed'],
    ),
    "a required parameter added": (
        with_parameters(),
        with_parameters(query("p", STRING, required=True)),
        ["REST: GET /x: query parameter p: now required"],
    ),
    "a parameter removed": (
        with_parameters(query("p", STRING)),
        with_parameters(),
        ["REST: GET /x: query parameter p: removed"],
    ),
    "a parameter's type narrowed": (
        with_parameters(query("p", STRING)),
        with_parameters(query("p", {"type": "integer"})),
        ["REST: GET /x: query parameter p: type narrowed from string to integer"],
    ),
    "a parameter narrowed from array to scalar": (
        with_parameters(query("p", {"type": "array", "items": STRING})),
        with_parameters(query("p", STRING)),
        ["REST: GET /x: query parameter p: type narrowed from array to string"],
    ),
    "maxLength lowered": (
        with_parameters(query("p", {"type": "string", "maxLength": 64})),
        with_parameters(query("p", {"type": "string", "maxLength": 32})),
        ["REST: GET /x: query parameter p: maxLength lowered from 64 to 32"],
    ),
    "minimum raised, maximum added": (
        with_parameters(query("p", {"type": "integer", "minimum": 1})),
        with_parameters(query("p", {"type": "integer", "minimum": 2, "maximum": 9})),
        [
            "REST: GET /x: query parameter p: maximum 9 added",
            "REST: GET /x: query parameter p: minimum raised from 1 to 2",
        ],
    ),
    "a pattern added": (
        with_parameters(query("p", OPTIONAL_STRING)),
        with_parameters(query("p", {"anyOf": [STRING | {"pattern": "^a$"}, {"type": "null"}]})),
        ['REST: GET /x: query parameter p: pattern "^a$" added'],
    ),
    "values excluded by `not`": (
        with_parameters(query("p", STRING)),
        with_parameters(query("p", STRING | {"not": {"enum": ["."]}})),
        ['REST: GET /x: query parameter p: not {"enum": ["."]} added'],
    ),
    "maxItems lowered": (
        with_parameters(query("p", {"type": "array", "items": STRING, "maxItems": 10})),
        with_parameters(query("p", {"type": "array", "items": STRING, "maxItems": 5})),
        ["REST: GET /x: query parameter p: maxItems lowered from 10 to 5"],
    ),
    "a scalar parameter that becomes an array needing two": (
        with_parameters(query("p", STRING)),
        with_parameters(query("p", {"type": "array", "items": STRING, "minItems": 2})),
        ["REST: GET /x: query parameter p: minItems 2 added"],
    ),
    "credentials needed where none were": (
        document({"/x": {"get": {}}}),
        document({"/x": {"get": {"security": [{"bearerAuth": []}]}}}),
        ["REST: GET /x: security: no credentials no longer accepted"],
    ),
    "a scheme no longer accepted": (
        document({"/x": {"get": {}}}) | {"security": [{"bearerAuth": []}, {"apiKey": []}]},
        document({"/x": {"get": {"security": [{"bearerAuth": []}]}}}),
        ["REST: GET /x: security: apiKey no longer accepted"],
    ),
}


@pytest.mark.parametrize("case", BREAKING)
def test_a_breaking_change_is_named_where_it_is(case: str) -> None:
    before, after, expected = BREAKING[case]
    assert breaking_changes(before, after) == expected


ADDITIVE = {
    "a path, an operation and an optional parameter added": (
        document({"/x": {"get": {}}}),
        document({"/x": {"get": {"parameters": [query("p", STRING)]}, "post": {}}, "/y": {}}),
    ),
    "a response field added, an optional one made required": (
        answering(obj((), a=STRING)),
        answering(obj(("a", "b"), a=STRING, b={"type": "integer"})),
    ),
    "a response narrowed: null, an enum value and a type left out": (
        answering(
            {
                "anyOf": [
                    {"type": "string", "enum": ["a", "b"]},
                    {"type": "integer"},
                    {"type": "null"},
                ]
            }
        ),
        answering({"type": "string", "enum": ["a"]}),
    ),
    "a request widened": (
        taking(
            obj((), a={"type": "string", "maxLength": 5, "pattern": "^a", "enum": ["a"]})
            | {"additionalProperties": False}
        ),
        taking(obj((), a={"type": "string", "maxLength": 6, "enum": ["a", "b"]}, b=STRING)),
    ),
    "a request number taking what the integer took": (
        taking(obj((), a={"type": "integer", "minimum": 1})),
        taking(obj((), a={"anyOf": [{"type": "number", "minimum": 0}, {"type": "null"}]})),
    ),
    "a request body no longer required": (taking(obj(), required=True), taking(obj(), False)),
    "a parameter that becomes repeatable (a scalar to an array of it)": (
        with_parameters(query("p", {"anyOf": [STRING | {"maxLength": 9}, {"type": "null"}]})),
        with_parameters(query("p", {"type": "array", "items": STRING, "maxItems": 10})),
    ),
    "a parameter no longer nullable, which a URL could not say anyway": (
        with_parameters(query("p", OPTIONAL_STRING)),
        with_parameters(query("p", STRING)),
    ),
    "an error status added and another removed": (
        document({"/x": {"get": {"responses": {"200": {}, "422": {}}}}}),
        document({"/x": {"get": {"responses": {"200": {}, "404": {}}}}}),
    ),
    "descriptions, titles and examples": (
        answering(obj(("a",), a=STRING)),
        answering(obj(("a",), a=STRING | {"description": "d", "title": "A", "examples": ["x"]})),
    ),
    "the empty document to any": (document({}), answering(obj(("a",), a=STRING))),
    "another scheme accepted, or none": (
        document({"/x": {"get": {"security": [{"bearerAuth": []}]}}}),
        document({"/x": {"get": {"security": [{"bearerAuth": []}, {"apiKey": []}, {}]}}}),
    ),
}


@pytest.mark.parametrize("case", ADDITIVE)
def test_an_additive_change_is_not_flagged(case: str) -> None:
    before, after = ADDITIVE[case]
    assert breaking_changes(before, after) == []


def test_a_shared_schema_is_named_once_however_often_it_is_used() -> None:
    event = obj(("a", "b"), a=STRING, b=STRING)
    reference = {"$ref": "#/components/schemas/Event"}
    uses = {
        "/x": {
            "get": {"responses": {"200": {"content": {"application/json": {"schema": reference}}}}}
        },
        "/y": {
            "get": {
                "responses": {
                    "200": {
                        "content": {
                            "application/json": {"schema": {"anyOf": [reference, {"type": "null"}]}}
                        }
                    }
                }
            }
        },
    }
    before = document(uses, {"Event": event})
    after = document(uses, {"Event": obj(("a",), a={"type": "integer"})})
    assert breaking_changes(before, after) == [
        "REST: response schema Event: field a: type changed from string to integer",
        "REST: response schema Event: field b: removed",
    ]


def test_recursive_schemas_are_compared_to_their_end() -> None:
    def tree(kind: str, name: str) -> Json:
        node = obj(("n",), n={"type": kind}, child={"$ref": f"#/components/schemas/{name}"})
        return answering({"$ref": f"#/components/schemas/{name}"}) | {
            "components": {"schemas": {name: node}}
        }

    assert breaking_changes(tree("string", "A"), tree("string", "A")) == []
    assert breaking_changes(tree("string", "A"), tree("integer", "B")) == [
        "REST: GET /x: response 200: field n: type changed from string to integer"
    ]


def test_the_served_document_against_itself_and_nothing() -> None:
    served = json.loads((ROOT / "docs" / "openapi.json").read_text())
    assert breaking_changes(served, copy.deepcopy(served)) == []
    assert breaking_changes(served, document({})) == [
        f"REST: path {path}: removed" for path in served["paths"]
    ]
