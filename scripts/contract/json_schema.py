"""Reading JSON Schema as OpenAPI 3.1 writes it: local `$ref`s, `anyOf`/`oneOf` members (FastAPI's
`X | None`), and the kinds of value (JSON types) a schema takes."""

from collections.abc import Iterator
from typing import Any

Json = dict[str, Any]
# The kind of value a schema without a type takes: any.
ANY = "any"


def resolve(document: Json, node: Any) -> tuple[str | None, Any]:
    """A local `$ref` followed to what it names (with the name of a component schema)."""
    name = None
    seen: set[str] = set()
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"] not in seen:
        reference = node["$ref"]
        seen.add(reference)
        name = (
            reference.rsplit("/", 1)[-1] if reference.startswith("#/components/schemas/") else None
        )
        target: Any = document
        for part in reference.removeprefix("#/").split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            target = target.get(part, {}) if isinstance(target, dict) else {}
        node = target
    return name, node


def as_schema(node: Any) -> Json:
    """A schema as a dict: JSON Schema's `true` takes anything, `false` nothing."""
    if node is True:
        return {}
    if node is False:
        return {"not": {}}
    return node if isinstance(node, dict) else {}


def without_null(document: Json, node: Any) -> Any:
    """A schema without its `null` member or type."""
    schema = as_schema(resolve(document, node)[1])
    kept = [one for one in members(schema) if types(document, one) != {"null"}]
    if members(schema):
        rest = {key: value for key, value in schema.items() if key not in ("anyOf", "oneOf")}
        return kept[0] if len(kept) == 1 and not rest else {**rest, "anyOf": kept}
    if isinstance(schema.get("type"), list):
        return {**schema, "type": [kind for kind in schema["type"] if kind != "null"]}
    return schema


def members(node: Any) -> list[Any]:
    """The schemas a value may match instead: `anyOf`/`oneOf` (FastAPI's `X | None`)."""
    return list(as_schema(node).get("anyOf") or as_schema(node).get("oneOf") or [])


def _flattened(document: Json, node: Any) -> Iterator[Any]:
    """The schemas without members a value may match, flattened and resolved."""
    node = resolve(document, node)[1]
    found = members(node)
    if not found:
        yield node
    for member in found:
        yield from _flattened(document, member)


def _own_types(node: Any) -> set[str]:
    schema = as_schema(node)
    if "not" in schema and schema["not"] == {}:
        return set()
    declared = schema.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, list):
        return set(declared)
    if "const" in schema:
        return {_json_type(schema["const"])}
    if "enum" in schema:
        return {_json_type(value) for value in schema["enum"]}
    if "properties" in schema:
        return {"object"}
    if "items" in schema:
        return {"array"}
    return {ANY}


def types(document: Json, node: Any) -> set[str]:
    return set().union(*(_own_types(one) for one in _flattened(document, node)))


def alternative(document: Json, node: Any, json_type: str) -> Any:
    """The member of a schema (or the schema itself) that takes values of `json_type`."""
    candidates = members(node) or [node]
    return next((one for one in candidates if takes(types(document, one), json_type)), {})


def takes(types: set[str], json_type: str) -> bool:
    return json_type in types or ANY in types or (json_type == "integer" and "number" in types)


def compared_types(old: set[str], new: set[str]) -> list[str]:
    """The kinds of value both schemas take, each compared member to member; an integer that
    became a number (or back) is still compared by its bounds."""
    widened = {"integer"} if {"integer", "number"} <= old | new else set()
    return sorted(old & new | widened)


def named(types: set[str]) -> str:
    return " | ".join(sorted(types)) or "nothing"


def _json_type(value: Any) -> str:
    kinds = {bool: "boolean", int: "integer", float: "number", str: "string", dict: "object"}
    return "null" if value is None else kinds.get(type(value), "array")
