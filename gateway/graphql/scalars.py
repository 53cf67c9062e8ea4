"""The two scalars: DateTime (RFC 3339, UTC out) and JSON (numbers kept as Decimals).

Both pass input on unparsed to the shared rules in `schema`, so a naive time or a NaN is refused
with the same field error REST gives.
"""

from datetime import datetime
from typing import Any, NewType

import strawberry
from graphql import (
    BooleanValueNode,
    EnumValueNode,
    FloatValueNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    ObjectValueNode,
    StringValueNode,
    ValueNode,
    VariableNode,
)
from strawberry.types.scalar import ScalarDefinition

from schema.events import format_timestamp
from schema.jsonvalue import parse_number


def _serialize_datetime(value: datetime) -> str:
    return format_timestamp(value)


def _parse_datetime(value: Any) -> Any:
    # Validated (offset required, range) by the shared rules, which name the field.
    return value


DateTime = NewType("DateTime", object)
JSON = NewType("JSON", object)


def _literal(node: ValueNode, variables: dict[str, Any] | None = None) -> Any:
    """JSON from a literal in the query text, numbers as Decimals (never floats)."""
    if isinstance(node, ObjectValueNode):
        return {field.name.value: _literal(field.value, variables) for field in node.fields}
    if isinstance(node, ListValueNode):
        return [_literal(item, variables) for item in node.values]
    if isinstance(node, IntValueNode | FloatValueNode):
        return parse_number(node.value)
    if isinstance(node, StringValueNode | EnumValueNode):
        return node.value
    if isinstance(node, BooleanValueNode):
        return node.value
    if isinstance(node, VariableNode):
        return (variables or {}).get(node.name.value)
    if isinstance(node, NullValueNode):
        return None
    raise ValueError(f"not a JSON value: {node.kind}")


SCALARS: dict[object, ScalarDefinition] = {
    DateTime: strawberry.scalar(
        name="DateTime",
        description="RFC 3339 date-time. Input needs an explicit offset; output is UTC with a Z.",
        serialize=_serialize_datetime,
        parse_value=_parse_datetime,
    ),
    JSON: strawberry.scalar(
        name="JSON",
        description="Any JSON value. Numbers keep every digit.",
        serialize=lambda value: value,
        parse_value=lambda value: value,
        parse_literal=_literal,
    ),
}
