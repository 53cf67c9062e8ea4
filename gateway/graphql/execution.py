"""graphql-core's executor with a short way for plain leaf fields.

graphql-core executes every field the same way: a path, a resolve info, the resolver (for a
Strawberry field without a resolver of its own, a wrapper that reads the attribute), an
awaitable check, then `complete_value`'s walk down the field's type to the scalar's output
coercion, and another awaitable check. A page of 20 events has about 140 such fields (each
node's six, each edge's cursor), and that machinery is most of the page's CPU.

A *plain leaf* is a field that reads an attribute and answers a scalar or an enum: a Strawberry
field with neither a resolver, nor field extensions, nor exception handlers, nor arguments.
Here it is answered as graphql-core would: the attribute read with the field's own default
resolver, then the type's output coercion. Anything unusual (an attribute that cannot be read,
null for a non-null field, an Exception as the value, a coercion that fails or gives null) is
handed to graphql-core's own `execute_field`, which reads it again and answers it (with its
error, path and nulling) exactly as before; so does every other field, and every field when a
schema extension resolves fields (a middleware)."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    GraphQLLeafType,
    GraphQLObjectType,
    GraphQLSchema,
    Undefined,
    is_leaf_type,
    is_non_null_type,
)
from graphql.execution.collect_fields import GroupedFieldSet
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField


@dataclass(frozen=True, slots=True)
class PlainLeaf:
    attribute: str
    read: Callable[[Any, str], Any]
    coerce: Callable[[Any], Any]
    non_null: bool


# What a plain leaf answers when graphql-core's own execution must answer it instead.
_ASK_GRAPHQL_CORE = object()

# Plain leaves by object type name, then by field name.
PlainLeaves = dict[str, dict[str, PlainLeaf]]


@lru_cache(maxsize=8)
def plain_leaves(schema: GraphQLSchema) -> PlainLeaves:
    """The schema's plain leaf fields (a schema lives as long as its app: a few per process)."""
    found: PlainLeaves = {}
    for name, named in schema.type_map.items():
        if name.startswith("__") or not isinstance(named, GraphQLObjectType):
            continue
        leaves = {
            field_name: leaf
            for field_name, field in named.fields.items()
            if (leaf := _plain_leaf(field.extensions, field.resolve, field.args, field.type))
        }
        if leaves:
            found[name] = leaves
    return found


def _plain_leaf(extensions: Any, resolve: Any, args: Any, output: Any) -> PlainLeaf | None:
    definition = (extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryField) or not definition.is_basic_field or args:
        return None
    # Strawberry resolves a basic field with `_get_basic_result` unless exception handlers
    # wrap it; those keep graphql-core's way.
    if not getattr(resolve, "_is_default", False):
        return None
    non_null = is_non_null_type(output)
    inner = output.of_type if non_null else output
    if not is_leaf_type(inner):
        return None
    leaf_type: GraphQLLeafType = inner
    return PlainLeaf(
        attribute=definition.python_name,
        read=definition.default_resolver,
        coerce=leaf_type.coerce_output_value,
        non_null=non_null,
    )


def _answer(leaf: PlainLeaf, source: Any) -> Any:
    """The leaf's value as graphql-core completes it, or _ASK_GRAPHQL_CORE."""
    try:
        value = leaf.read(source, leaf.attribute)
        if value is None or value is Undefined:
            return _ASK_GRAPHQL_CORE if leaf.non_null else None
        if isinstance(value, Exception):
            return _ASK_GRAPHQL_CORE
        coerced = leaf.coerce(value)
    except Exception:
        return _ASK_GRAPHQL_CORE
    if coerced is None or coerced is Undefined:
        return _ASK_GRAPHQL_CORE
    return coerced


class PlainLeavesExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, answering plain leaves itself (see the module)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager
        resolving = manager is not None and bool(manager.middlewares)
        self._plain_leaves = {} if resolving else plain_leaves(self.schema)

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        leaves = self._plain_leaves.get(parent_type.name)
        if leaves is None:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        answered: dict[str, Any] = {}
        others: GroupedFieldSet = {}
        for response_name, field_details_list in grouped_field_set.items():
            leaf = leaves.get(field_details_list[0].node.name.value)
            value = _ASK_GRAPHQL_CORE if leaf is None else _answer(leaf, source_value)
            if value is _ASK_GRAPHQL_CORE:
                others[response_name] = field_details_list
            else:
                answered[response_name] = value
        if not others:
            return answered
        executed = super().execute_fields(parent_type, source_value, path, others, position_context)
        if self.is_awaitable(executed):

            async def merged() -> dict[str, Any]:
                return _in_order(grouped_field_set, answered, await executed)

            return merged()
        return _in_order(grouped_field_set, answered, executed)


def _in_order(
    grouped_field_set: GroupedFieldSet, answered: dict[str, Any], executed: dict[str, Any]
) -> dict[str, Any]:
    """Both sets of answers in the order the fields were asked for (the response's order)."""
    if not answered:
        return executed
    return {
        name: answered[name] if name in answered else executed[name]
        for name in grouped_field_set
        if name in answered or name in executed
    }
