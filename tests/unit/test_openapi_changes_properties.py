"""The OpenAPI check over generated documents: any number of additive mutations is never
flagged, and each kind of breaking mutation is flagged where it was made.

Documents hold paths of GET, POST and DELETE operations with query parameters, JSON bodies and
responses whose schemas nest objects, arrays, nullable members and constrained scalars (from
none at all to several levels deep). Every document also holds /seed, one operation with a
site for every mutation, so each kind applies to every document: the mutation picks its site
among all those that fit, generated or seeded."""

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scripts.contract.openapi_changes import breaking_changes

Json = dict[str, Any]
NAMES = st.sampled_from(["a", "b", "c", "d"])
WORDS = st.sampled_from(["x", "y", "z", "w"])
NULL = {"type": "null"}


def null() -> Json:
    """A null member of its own (mutations change schemas in place)."""
    return {"type": "null"}


strings = st.fixed_dictionaries(
    {"type": st.just("string")},
    optional={
        "maxLength": st.integers(1, 64),
        "minLength": st.integers(0, 2),
        "pattern": st.just("^[a-z]*$"),
        "format": st.sampled_from(["uuid", "date-time"]),
        "enum": st.lists(WORDS, min_size=1, max_size=4, unique=True),
    },
)
integers = st.fixed_dictionaries(
    {"type": st.sampled_from(["integer", "number"])},
    optional={"minimum": st.integers(0, 5), "maximum": st.integers(10, 1000)},
)
scalars = st.one_of(strings, integers, st.just({"type": "boolean"}))


def nullable(schemas: st.SearchStrategy[Json]) -> st.SearchStrategy[Json]:
    return st.one_of(schemas, schemas.map(lambda schema: {"anyOf": [schema, null()]}))


@st.composite
def objects(draw: st.DrawFn, members: st.SearchStrategy[Json]) -> Json:
    properties = draw(st.dictionaries(NAMES, members, max_size=3))
    required = draw(st.sets(st.sampled_from(sorted(properties)))) if properties else set()
    closed = {"additionalProperties": False} if draw(st.booleans()) else {}
    return {"type": "object", "properties": properties, "required": sorted(required), **closed}


def arrays(items: st.SearchStrategy[Json]) -> st.SearchStrategy[Json]:
    bounds = st.fixed_dictionaries({}, optional={"maxItems": st.integers(1, 100)})
    return st.builds(lambda item, more: {"type": "array", "items": item, **more}, items, bounds)


schemas = st.recursive(
    nullable(scalars), lambda inner: nullable(objects(inner) | arrays(inner)), max_leaves=5
)


@st.composite
def operations(draw: st.DrawFn, method: str) -> Json:
    parameters = draw(
        st.dictionaries(
            NAMES, st.tuples(nullable(scalars) | arrays(scalars), st.booleans()), max_size=2
        )
    )
    operation: Json = {
        "parameters": [
            {"name": name, "in": "query", "required": required, "schema": schema}
            for name, (schema, required) in parameters.items()
        ],
        "responses": {"200": _json(draw(schemas))},
    }
    if draw(st.booleans()):
        operation["responses"]["422"] = _json(draw(objects(scalars)))
    if method == "post" and draw(st.booleans()):
        operation["requestBody"] = {
            "required": draw(st.booleans()),
            **_json(draw(objects(schemas))),
        }
    return operation


@st.composite
def documents(draw: st.DrawFn) -> Json:
    paths = draw(st.lists(st.sampled_from(["/a", "/b/{id}", "/c"]), unique=True, max_size=2))
    spec: Json = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}}
    for path in paths:
        methods = draw(
            st.lists(st.sampled_from(["get", "post", "delete"]), min_size=1, unique=True)
        )
        spec["paths"][path] = {method: draw(operations(method)) for method in methods}
    spec["paths"]["/seed"] = {"post": SEED}
    # Every schema an object of its own: strategies share theirs between draws.
    return copy.deepcopy(spec)


def _json(schema: Json) -> Json:
    return {"description": "", "content": {"application/json": {"schema": schema}}}


def _string(**rules: Any) -> Json:
    return {"type": "string", **rules}


RICH_OBJECT = {
    "type": "object",
    "properties": {
        "s": _string(maxLength=8, enum=["x", "y"], pattern="^[a-z]*$"),
        "n": {"type": "integer", "minimum": 1, "maximum": 99},
        "l": {"type": "array", "items": _string(), "maxItems": 5},
        "o": {"anyOf": [_string(), null()]},
    },
    "required": ["s", "n"],
}
SEED = {
    "parameters": [
        {"name": "s", "in": "query", "required": False, "schema": _string(maxLength=8)},
        {"name": "n", "in": "query", "required": True, "schema": {"type": "integer"}},
    ],
    "requestBody": {"required": False, **_json(RICH_OBJECT)},
    "responses": {"200": _json(copy.deepcopy(RICH_OBJECT)), "422": _json(_string())},
}


@dataclass
class Site:
    """A schema in a document: where it is held, whether clients send or read it, and the
    operation it belongs to (`POST /seed`)."""

    holder: Any
    key: Any
    direction: str
    operation: str
    parameter: bool = False

    @property
    def schema(self) -> Json:
        schema: Json = self.holder[self.key]
        return schema


def sites(spec: Json) -> Iterator[Site]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            label = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", ()):
                yield from _walk(Site(parameter, "schema", "request", label, parameter=True))
            if "requestBody" in operation:
                body = operation["requestBody"]["content"]["application/json"]
                yield from _walk(Site(body, "schema", "request", label))
            for response in operation["responses"].values():
                yield from _walk(
                    Site(response["content"]["application/json"], "schema", "response", label)
                )


def _walk(site: Site) -> Iterator[Site]:
    yield site
    schema = site.schema
    for index in range(len(schema.get("anyOf", ()))):
        yield from _walk(Site(schema["anyOf"], index, site.direction, site.operation))
    if "items" in schema:
        yield from _walk(Site(schema, "items", site.direction, site.operation))
    for name in schema.get("properties", {}):
        yield from _walk(Site(schema["properties"], name, site.direction, site.operation))


def pick(draw: st.DrawFn, spec: Json, direction: str, fits: Callable[[Site], bool]) -> Site:
    found = [site for site in sites(spec) if site.direction == direction and fits(site)]
    assert found, "the seed has a site for every mutation"
    return draw(st.sampled_from(found))


def is_type(kind: str) -> Callable[[Site], bool]:
    return lambda site: site.schema.get("type") == kind


def has(rule: str) -> Callable[[Site], bool]:
    return lambda site: rule in site.schema


# --- breaking mutations: each returns the operation it broke ----------------------------------


def lower_max_length(spec: Json, draw: st.DrawFn) -> str:
    site = pick(draw, spec, "request", is_type("string"))
    site.schema["maxLength"] = max(0, site.schema.get("maxLength", 1) - 1)
    return site.operation


def raise_minimum(spec: Json, draw: st.DrawFn) -> str:
    site = pick(draw, spec, "request", is_type("integer"))
    site.schema["minimum"] = site.schema.get("minimum", 0) + 1
    return site.operation


def add_pattern(spec: Json, draw: st.DrawFn) -> str:
    site = pick(draw, spec, "request", is_type("string"))
    site.schema["pattern"] = "^q$"
    return site.operation


def exclude_a_value(spec: Json, draw: st.DrawFn) -> str:
    site = pick(draw, spec, "request", is_type("string"))
    site.schema["not"] = {"enum": ["q"]}
    return site.operation


def remove_request_enum_value(spec: Json, draw: st.DrawFn) -> str:
    site = pick(draw, spec, "request", lambda s: len(s.schema.get("enum", ())) > 1)
    site.schema["enum"].pop(draw(st.integers(0, len(site.schema["enum"]) - 1)))
    return site.operation


def narrow_a_request_type(spec: Json, draw: st.DrawFn) -> str:
    site = pick(
        draw,
        spec,
        "request",
        lambda s: s.schema.get("type") in {"string", "array", "object", "number"},
    )
    narrower = {"string": "integer", "array": "string", "object": "string", "number": "boolean"}
    site.holder[site.key] = {"type": narrower[site.schema["type"]]}
    return site.operation


def remove_null_from_a_request_field(spec: Json, draw: st.DrawFn) -> str:
    site = pick(
        draw, spec, "request", lambda s: NULL in s.schema.get("anyOf", ()) and not s.parameter
    )
    site.holder[site.key] = next(one for one in site.schema["anyOf"] if one != NULL)
    return site.operation


def add_a_required_request_field(spec: Json, draw: st.DrawFn) -> str:
    site = pick(draw, spec, "request", is_type("object"))
    site.schema["properties"]["new"] = {"type": "string"}
    site.schema["required"] = [*site.schema["required"], "new"]
    return site.operation


def require_an_optional_request_field(spec: Json, draw: st.DrawFn) -> str:
    def fits(site: Site) -> bool:
        return site.schema.get("type") == "object" and bool(_optional(site.schema))

    site = pick(draw, spec, "request", fits)
    site.schema["required"] = [
        *site.schema["required"],
        draw(st.sampled_from(_optional(site.schema))),
    ]
    return site.operation


def remove_a_request_field(spec: Json, draw: st.DrawFn) -> str:
    site = pick(draw, spec, "request", lambda s: bool(s.schema.get("properties")))
    name = draw(st.sampled_from(sorted(site.schema["properties"])))
    del site.schema["properties"][name]
    site.schema["required"] = [other for other in site.schema["required"] if other != name]
    return site.operation


def lower_max_items(spec: Json, draw: st.DrawFn) -> str:
    site = pick(draw, spec, "request", is_type("array"))
    site.schema["maxItems"] = max(0, site.schema.get("maxItems", 1) - 1)
    return site.operation


def close_a_request_object(spec: Json, draw: st.DrawFn) -> str:
    site = pick(
        draw,
        spec,
        "request",
        lambda s: is_type("object")(s) and "additionalProperties" not in s.schema,
    )
    site.schema["additionalProperties"] = False
    return site.operation


def remove_a_response_field(spec: Json, draw: st.DrawFn) -> str:
    site = pick(draw, spec, "response", lambda s: bool(s.schema.get("properties")))
    name = draw(st.sampled_from(sorted(site.schema["properties"])))
    del site.schema["properties"][name]
    site.schema["required"] = [other for other in site.schema["required"] if other != name]
    return site.operation


def change_a_response_type(spec: Json, draw: st.DrawFn) -> str:
    site = pick(draw, spec, "response", lambda s: "type" in s.schema and s.schema["type"] != "null")
    other = {"string": "integer", "integer": "string", "number": "string", "boolean": "string"}
    site.holder[site.key] = {"type": other.get(site.schema["type"], "string")}
    return site.operation


def make_a_response_field_optional(spec: Json, draw: st.DrawFn) -> str:
    site = pick(draw, spec, "response", lambda s: bool(s.schema.get("required")))
    site.schema["required"] = site.schema["required"][1:]
    return site.operation


def add_a_response_enum_value(spec: Json, draw: st.DrawFn) -> str:
    site = pick(draw, spec, "response", has("enum"))
    site.schema["enum"] = [*site.schema["enum"], "new"]
    return site.operation


def make_a_response_nullable(spec: Json, draw: st.DrawFn) -> str:
    site = pick(draw, spec, "response", lambda s: "type" in s.schema and s.schema["type"] != "null")
    site.holder[site.key] = {"anyOf": [site.schema, null()]}
    return site.operation


def remove_a_path(spec: Json, draw: st.DrawFn) -> str:
    path = draw(st.sampled_from(sorted(spec["paths"])))
    del spec["paths"][path]
    return f"path {path}"


def remove_an_operation(spec: Json, draw: st.DrawFn) -> str:
    path = draw(st.sampled_from(sorted(spec["paths"])))
    method = draw(st.sampled_from(sorted(spec["paths"][path])))
    del spec["paths"][path][method]
    return f"{method.upper()} {path}"


def remove_a_success_status(spec: Json, draw: st.DrawFn) -> str:
    path, method = draw(st.sampled_from(_operations(spec)))
    del spec["paths"][path][method]["responses"]["200"]
    return f"{method.upper()} {path}"


def add_a_required_parameter(spec: Json, draw: st.DrawFn) -> str:
    path, method = draw(st.sampled_from(_operations(spec)))
    parameters = spec["paths"][path][method]["parameters"]
    for parameter in parameters:
        if parameter["name"] == "new":
            parameter["required"] = True
    parameters.append({"name": "new", "in": "query", "required": True, "schema": {}})
    return f"{method.upper()} {path}"


def remove_a_parameter(spec: Json, draw: st.DrawFn) -> str:
    path, method = draw(st.sampled_from(_operations(spec, lambda o: bool(o["parameters"]))))
    parameters = spec["paths"][path][method]["parameters"]
    parameters.pop(draw(st.integers(0, len(parameters) - 1)))
    return f"{method.upper()} {path}"


def require_the_request_body(spec: Json, draw: st.DrawFn) -> str:
    path, method = draw(
        st.sampled_from(
            _operations(spec, lambda o: not o.get("requestBody", {}).get("required", True))
        )
    )
    spec["paths"][path][method]["requestBody"]["required"] = True
    return f"{method.upper()} {path}"


def require_credentials(spec: Json, draw: st.DrawFn) -> str:
    path, method = draw(st.sampled_from(_operations(spec)))
    spec["paths"][path][method]["security"] = [{"bearerAuth": []}]
    return f"{method.upper()} {path}"


BREAKING = [
    lower_max_length,
    raise_minimum,
    add_pattern,
    exclude_a_value,
    remove_request_enum_value,
    narrow_a_request_type,
    remove_null_from_a_request_field,
    add_a_required_request_field,
    require_an_optional_request_field,
    remove_a_request_field,
    lower_max_items,
    close_a_request_object,
    remove_a_response_field,
    change_a_response_type,
    make_a_response_field_optional,
    add_a_response_enum_value,
    make_a_response_nullable,
    remove_a_path,
    remove_an_operation,
    remove_a_success_status,
    add_a_required_parameter,
    remove_a_parameter,
    require_the_request_body,
    require_credentials,
]


# --- additive mutations ----------------------------------------------------------------------


def add_a_path(spec: Json, draw: st.DrawFn) -> None:
    spec["paths"][f"/new{len(spec['paths'])}"] = {"get": draw(operations("get"))}


def add_an_operation(spec: Json, draw: st.DrawFn) -> None:
    path = draw(st.sampled_from(sorted(spec["paths"])))
    missing = sorted({"get", "put", "patch"} - set(spec["paths"][path]))
    if missing:
        method = draw(st.sampled_from(missing))
        spec["paths"][path][method] = draw(operations(method))


def add_an_optional_parameter(spec: Json, draw: st.DrawFn) -> None:
    path, method = draw(st.sampled_from(_operations(spec)))
    parameters = spec["paths"][path][method]["parameters"]
    name = f"new{len(parameters)}"
    parameters.append({"name": name, "in": "query", "required": False, "schema": draw(scalars)})


def add_a_field(spec: Json, draw: st.DrawFn) -> None:
    """An optional field to a request object, a field (maybe required) to a response object."""
    direction = draw(st.sampled_from(["request", "response"]))
    site = pick(draw, spec, direction, is_type("object"))
    name = f"new{len(site.schema['properties'])}"
    site.schema["properties"][name] = draw(schemas)
    if direction == "response" and draw(st.booleans()):
        site.schema["required"] = [*site.schema["required"], name]


def widen_a_request_value(spec: Json, draw: st.DrawFn) -> None:
    site = pick(draw, spec, "request", lambda s: "type" in s.schema)
    schema = site.schema
    change = draw(st.sampled_from(["bounds", "enum", "pattern", "null", "number", "open"]))
    for bound, widened in (("maxLength", 1), ("maxItems", 1), ("maximum", 1)):
        if change == "bounds" and bound in schema:
            schema[bound] += widened
    for bound in ("minLength", "minimum"):
        if change == "bounds" and bound in schema:
            schema[bound] -= 1
    if change == "enum" and "enum" in schema:
        schema["enum"].append("wider")
    if change == "pattern":
        schema.pop("pattern", None)
    if change == "number" and schema["type"] == "integer":
        schema["type"] = "number"
    if change == "open":
        schema.pop("additionalProperties", None)
    if change == "null":
        site.holder[site.key] = {"anyOf": [schema, null()]}


def narrow_a_response_value(spec: Json, draw: st.DrawFn) -> None:
    site = pick(draw, spec, "response", lambda s: "type" in s.schema or "anyOf" in s.schema)
    schema = site.schema
    if NULL in schema.get("anyOf", ()) and draw(st.booleans()):
        site.holder[site.key] = next(one for one in schema["anyOf"] if one != NULL)
    elif len(schema.get("enum", ())) > 1:
        schema["enum"].pop()
    elif schema.get("type") == "object":
        schema["required"] = sorted(schema["properties"])
    else:
        schema["maxLength"] = 3


def parameter_takes_repeats(spec: Json, draw: st.DrawFn) -> None:
    site = pick(
        draw,
        spec,
        "request",
        lambda s: s.parameter and "type" in s.schema and s.schema["type"] != "array",
    )
    site.holder[site.key] = {"type": "array", "items": site.schema}


def change_the_words(spec: Json, draw: st.DrawFn) -> None:
    site = pick(draw, spec, draw(st.sampled_from(["request", "response"])), lambda s: True)
    site.schema.update(description=draw(st.text(max_size=20)), title="T", examples=[None])


def change_the_errors(spec: Json, draw: st.DrawFn) -> None:
    path, method = draw(st.sampled_from(_operations(spec)))
    responses = spec["paths"][path][method]["responses"]
    responses.pop("422", None)
    responses["404"] = _json(draw(schemas))


def accept_more_credentials(spec: Json, draw: st.DrawFn) -> None:
    path, method = draw(st.sampled_from(_operations(spec)))
    operation = spec["paths"][path][method]
    operation["security"] = [*operation.get("security", [{}]), {"apiKey": []}]


ADDITIVE = [
    add_a_path,
    add_an_operation,
    add_an_optional_parameter,
    add_a_field,
    widen_a_request_value,
    narrow_a_response_value,
    parameter_takes_repeats,
    change_the_words,
    change_the_errors,
    accept_more_credentials,
]


def _optional(schema: Json) -> list[str]:
    return sorted(set(schema["properties"]) - set(schema["required"]))


def _operations(spec: Json, fits: Callable[[Json], bool] = lambda _: True) -> list[tuple[str, str]]:
    return [
        (path, method)
        for path, item in sorted(spec["paths"].items())
        for method, operation in sorted(item.items())
        if fits(operation)
    ]


@pytest.mark.slow
@settings(max_examples=100)
@given(documents(), st.data())
def test_additive_mutations_are_never_flagged(spec: Json, data: st.DataObject) -> None:
    mutated = copy.deepcopy(spec)
    for mutation in data.draw(st.lists(st.sampled_from(ADDITIVE), max_size=6)):
        mutation(mutated, data.draw)
    assert breaking_changes(spec, mutated) == []


@pytest.mark.slow
@pytest.mark.parametrize("mutation", BREAKING, ids=lambda mutation: mutation.__name__)
@settings(max_examples=20)
@given(spec=documents(), data=st.data())
def test_each_breaking_mutation_is_flagged_where_it_was_made(
    mutation: Callable[[Json, Any], str], spec: Json, data: st.DataObject
) -> None:
    mutated = copy.deepcopy(spec)
    where = mutation(mutated, data.draw)
    changes = breaking_changes(spec, mutated)
    assert any(line.startswith(f"REST: {where}:") for line in changes), changes


@pytest.mark.slow
@settings(max_examples=50)
@given(documents())
def test_a_document_against_itself_and_against_nothing(spec: Json) -> None:
    assert breaking_changes(spec, copy.deepcopy(spec)) == []
    assert breaking_changes({}, spec) == []
    assert breaking_changes(spec, {}) == [f"REST: path {path}: removed" for path in spec["paths"]]
