"""graphql-core's executor with a short way for plain fields.

graphql-core executes every field the same way: a path, a resolve info, the resolver (for a
Strawberry field without a resolver of its own, a wrapper that reads the attribute), awaitable
checks, then `complete_value`'s walk down the field's type (non-null, list, object) to the
scalar's output coercion or the object's sub-selection. A page of 20 events has about 165
such fields (each edge's node and cursor, each node's six fields), and that machinery was
most of the page's CPU.

A *plain* field reads an attribute: a Strawberry field with neither a resolver, nor field
extensions, nor exception handlers, nor arguments. Here a plain field is answered as
graphql-core would answer it: the attribute read with the field's own default resolver, then
a scalar's or enum's output coercion, or an object's (or a list of objects') sub-selection,
executed with the same paths and the same error handling (`handle_field_error`). Anything
unusual found before any sub-selection runs (null, an Exception or an awaitable as the value,
a read or coercion that fails or gives null, an object type that checks its values, a @defer)
is handed to graphql-core's own `execute_field`, which reads the attribute again and answers
as before; so is every other field, and every field when a schema extension resolves fields
(a middleware)."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, TypeGuard, cast

from graphql import (
    GraphQLField,
    GraphQLID,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLString,
    Undefined,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField


@dataclass(frozen=True, slots=True)
class PlainField:
    """`coerce` for a scalar or an enum; `object_type` for an object or a list of them."""

    attribute: str
    read: Callable[[Any, str], Any]
    output: GraphQLOutputType
    non_null: bool
    coerce: Callable[[Any], Any] | None = None
    object_type: GraphQLObjectType | None = None
    item_type: GraphQLOutputType | None = None  # a list's items (as declared)
    usual: type | None = None  # the object type's own class: its instances need no checks
    text: bool = False  # String or ID, whose coercion answers a str as it is


# What a plain field answers when graphql-core's own execution must answer it instead.
_ASK_GRAPHQL_CORE = object()

# Plain fields by object type name, then by field name.
PlainFields = dict[str, dict[str, PlainField]]


@lru_cache(maxsize=8)
def plain_fields(schema: GraphQLSchema) -> PlainFields:
    """The schema's plain fields (a schema lives as long as its app: a few per process). A
    schema with @defer or @stream has none: those need graphql-core's incremental delivery."""
    if any(directive.name in ("defer", "stream") for directive in schema.directives):
        return {}
    found: PlainFields = {}
    for name, named in schema.type_map.items():
        if name.startswith("__") or not isinstance(named, GraphQLObjectType):
            continue
        fields = {
            field_name: plain
            for field_name, field in named.fields.items()
            if (plain := _plain_field(field))
        }
        if fields:
            found[name] = fields
    return found


def _plain_field(field: GraphQLField) -> PlainField | None:
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryField) or not definition.is_basic_field:
        return None
    # Strawberry resolves a basic field with `_get_basic_result` unless exception handlers
    # wrap it; those keep graphql-core's way.
    if field.args or not getattr(field.resolve, "_is_default", False):
        return None
    output = field.type
    non_null = isinstance(output, GraphQLNonNull)
    inner = output.of_type if isinstance(output, GraphQLNonNull) else output
    found = PlainField(definition.python_name, definition.default_resolver, output, non_null)
    if is_leaf_type(inner):
        text = inner is GraphQLString or inner is GraphQLID
        return replace(found, coerce=inner.coerce_output_value, text=text)
    if _checks_nothing(inner):
        return replace(found, object_type=inner, usual=_usual_class(inner))
    if isinstance(inner, GraphQLList):
        item = inner.of_type
        objects = item.of_type if isinstance(item, GraphQLNonNull) else item
        if _checks_nothing(objects):
            return replace(found, object_type=objects, item_type=item, usual=_usual_class(objects))
    return None


def _usual_class(object_type: GraphQLObjectType) -> type | None:
    """The Strawberry class behind the type, when its instances can be neither an Exception
    nor awaitable (what graphql-core checks every value for)."""
    definition = (object_type.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    origin = getattr(definition, "origin", None)
    if not isinstance(origin, type) or issubclass(origin, Exception):
        return None
    return None if hasattr(origin, "__await__") else origin


def _checks_nothing(type_: Any) -> TypeGuard[GraphQLObjectType]:
    """An object type that takes any value (no `is_type_of`: Strawberry sets one on types that
    implement interfaces)."""
    return isinstance(type_, GraphQLObjectType) and type_.is_type_of is None


def _leaf(plain: PlainField, source: Any) -> Any:
    """A leaf's value as graphql-core completes it, or _ASK_GRAPHQL_CORE."""
    coerce = plain.coerce
    assert coerce is not None
    try:
        value = plain.read(source, plain.attribute)
        if plain.text and type(value) is str:
            return value
        if value is None or value is Undefined:
            return _ASK_GRAPHQL_CORE if plain.non_null else None
        if isinstance(value, Exception):
            return _ASK_GRAPHQL_CORE
        coerced = coerce(value)
    except Exception:
        return _ASK_GRAPHQL_CORE
    if coerced is None or coerced is Undefined:
        return _ASK_GRAPHQL_CORE
    return coerced


class PlainFieldsExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, answering plain fields itself (see the module)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager
        resolving = manager is not None and bool(manager.middlewares)
        self._plain_fields = {} if resolving else plain_fields(self.schema)

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        fields = self._plain_fields.get(parent_type.name)
        if fields is None:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        answered: dict[str, Any] = {}
        awaited: list[str] = []
        others: GroupedFieldSet = {}
        for response_name, field_details_list in grouped_field_set.items():
            plain = fields.get(field_details_list[0].node.name.value)
            if plain is None:
                value = _ASK_GRAPHQL_CORE
            elif plain.coerce is not None:
                value = _leaf(plain, source_value)
            else:
                field_path = Path(path, response_name, parent_type.name)
                value = self._objects(plain, source_value, field_details_list, field_path)
                if value is not _ASK_GRAPHQL_CORE and self._pending(value):
                    awaited.append(response_name)
            if value is _ASK_GRAPHQL_CORE:
                others[response_name] = field_details_list
            else:
                answered[response_name] = value
        if not others and not awaited:
            return answered
        executed = (
            super().execute_fields(parent_type, source_value, path, others, position_context)
            if others
            else {}
        )
        if awaited or self._pending(executed):
            return self._merged(grouped_field_set, answered, awaited, executed)
        return _in_order(grouped_field_set, answered, cast(dict[str, Any], executed))

    def _objects(
        self, plain: PlainField, source: Any, field_details_list: FieldDetailsList, path: Path
    ) -> Any:
        """An object field's or an object list's answer, as graphql-core's `execute_field`
        gives it once the value is read, or _ASK_GRAPHQL_CORE before anything ran."""
        object_type = plain.object_type
        assert object_type is not None
        try:
            value = plain.read(source, plain.attribute)
        except Exception:
            return _ASK_GRAPHQL_CORE
        items = value if plain.item_type is not None else (value,)
        if (
            value is None
            or not isinstance(items, list | tuple)
            or any(type(item) is not plain.usual and self._unusual(item) for item in items)
        ):
            return _ASK_GRAPHQL_CORE
        grouped, deferred, _ = self.collect_subfields(object_type, field_details_list)
        if deferred:
            return _ASK_GRAPHQL_CORE
        try:
            if plain.item_type is None:
                answer = self.execute_fields(object_type, value, path, grouped, None)
                if self._pending(answer):
                    return self._item_later(answer, plain.output, field_details_list, path)
                return answer
            return self._items(plain, items, grouped, field_details_list, path)
        except Exception as raw_error:
            self.handle_field_error(raw_error, plain.output, field_details_list, path)
            return None

    def _unusual(self, item: Any) -> bool:
        return (
            item is None
            or item is Undefined
            or isinstance(item, Exception)
            or self.is_awaitable(item)
        )

    def _pending(self, answer: Any) -> bool:
        """Whether a sub-selection's answer completes later (it is a dict when it does not)."""
        return type(answer) is not dict and self.is_awaitable(answer)

    def _items(
        self,
        plain: PlainField,
        items: list[Any] | tuple[Any, ...],
        grouped: GroupedFieldSet,
        field_details_list: FieldDetailsList,
        path: Path,
    ) -> Any:
        """A list's objects, each failure handled at its index as `complete_list_item_value`
        handles it (a non-null item's failure fails the list)."""
        object_type, item_type = plain.object_type, plain.item_type
        assert object_type is not None and item_type is not None
        completed: list[Any] = []
        pending = False
        for index, item in enumerate(items):
            item_path = path.add_key(index, None)
            try:
                answer = self.execute_fields(object_type, item, item_path, grouped, None)
            except Exception as raw_error:
                self.handle_field_error(raw_error, item_type, field_details_list, item_path)
                answer = None
            if self._pending(answer):
                answer = self._item_later(answer, item_type, field_details_list, item_path)
                pending = True
            completed.append(answer)
        if not pending:
            return completed
        return self._list_later(completed, plain, field_details_list, path)

    async def _item_later(
        self,
        answer: Awaitable[Any],
        output: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        path: Path,
    ) -> Any:
        """An answer that completes later, its failure handled as graphql-core handles it."""
        try:
            return await answer
        except Exception as raw_error:
            self.handle_field_error(raw_error, output, field_details_list, path)
            return None

    async def _list_later(
        self,
        completed: list[Any],
        plain: PlainField,
        field_details_list: FieldDetailsList,
        path: Path,
    ) -> Any:
        try:
            return [await item if self.is_awaitable(item) else item for item in completed]
        except Exception as raw_error:
            self.handle_field_error(raw_error, plain.output, field_details_list, path)
            return None

    async def _merged(
        self,
        grouped_field_set: GroupedFieldSet,
        answered: dict[str, Any],
        awaited: list[str],
        executed: Any,
    ) -> dict[str, Any]:
        for name in awaited:
            answered[name] = await answered[name]
        if self.is_awaitable(executed):
            executed = await executed
        return _in_order(grouped_field_set, answered, executed)


def _in_order(
    grouped_field_set: GroupedFieldSet, answered: dict[str, Any], executed: dict[str, Any]
) -> dict[str, Any]:
    """Both sets of answers in the order the fields were asked for (the response's order)."""
    if not executed:
        return answered
    if not answered:
        return executed
    return {
        name: answered[name] if name in answered else executed[name]
        for name in grouped_field_set
        if name in answered or name in executed
    }
