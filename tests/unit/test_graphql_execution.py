"""The short way for plain fields (`gateway.graphql.execution`) answers every query exactly as
graphql-core's own execution does: the same data, in the same order, and the same errors with
the same paths, for well-formed values and for each kind of bad one."""

from enum import Enum
from typing import Any

import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gateway.graphql.execution import PlainFieldsExecutionContext, plain_fields


@strawberry.enum
class Colour(Enum):
    RED = "red"


@strawberry.type
class Leaf:
    name: str
    key: strawberry.ID
    count: int | None
    flag: bool
    colour: Colour


@strawberry.type
class Branch:
    leaf: Leaf
    maybe: Leaf | None
    leaves: list[Leaf]
    loose: list[Leaf | None] | None
    label: str

    @strawberry.field
    def computed(self) -> str:
        return self.label.upper()


class Broken:
    """A source whose attribute cannot be read."""

    @property
    def name(self) -> str:
        raise RuntimeError("unreadable")


def leaf(name: Any = "a", **overrides: Any) -> Leaf:
    fields: dict[str, Any] = {"key": "k", "count": 1, "flag": True, "colour": Colour.RED}
    fields |= overrides
    return Leaf(name=name, **fields)


def branch(**fields: Any) -> Any:
    """A Branch holding whatever it is given, ill-typed values included."""
    return Branch(**fields)


BRANCHES: dict[str, Any] = {
    "well-formed": branch(
        leaf=leaf(), maybe=None, leaves=[leaf("b"), leaf("c")], loose=[None, leaf()], label="x"
    ),
    "null in a non-null leaf": branch(
        leaf=leaf(None), maybe=leaf(), leaves=[leaf()], loose=None, label="x"
    ),
    "null in a non-null list item's leaf": branch(
        leaf=leaf(), maybe=leaf(None), leaves=[leaf(), leaf(None)], loose=[leaf(None)], label="x"
    ),
    "null as a non-null list item": branch(
        leaf=leaf(), maybe=None, leaves=[leaf(), None], loose=[None], label="x"
    ),
    "values the scalars coerce": branch(
        leaf=leaf(7, key=7, count=True), maybe=leaf(1.5, key="7"), leaves=[], loose=[], label="x"
    ),
    "a value the scalar cannot coerce": branch(
        leaf=leaf(flag="yes", count="many", key=1.5),
        maybe=leaf(key=[1]),
        leaves=[],
        loose=[],
        label="x",
    ),
    "a value the enum does not know": branch(
        leaf=leaf(colour="green"), maybe=None, leaves=[leaf()], loose=None, label="x"
    ),
    "an attribute that cannot be read": branch(
        leaf=Broken(), maybe=Broken(), leaves=[Broken()], loose=[Broken()], label="x"
    ),
    "null as a non-null object": branch(leaf=None, maybe=None, leaves=[], loose=[], label="x"),
}

QUERIES = [
    "{ branch { label computed leaf { name key count flag colour } } }",
    "{ branch { maybe { name key } leaf { key } } }",
    "{ branch { leaves { name } loose { name count } maybe { name } } }",
    "{ branch { b: label a: leaf { z: name y: flag __typename } label __typename } }",
    "{ branch { ...F leaf { count } } } fragment F on Branch { leaf { name } leaves { flag } }",
    "query($no: Boolean!) { branch { leaf { name @skip(if: $no) count @include(if: $no) } } }",
    "{ branch { leaf { name } leaf { colour } loose { colour } } }",
]


def run(context: type, source: Any, query: str) -> tuple[Any, list[Any]]:
    @strawberry.type
    class Query:
        @strawberry.field
        def branch(self) -> Branch | None:
            return source

    schema = strawberry.Schema(query=Query, execution_context_class=context)
    result = schema.execute_sync(query, variable_values={"no": True})
    return result.data, [error.formatted for error in result.errors or []]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("case", list(BRANCHES))
def test_answers_as_graphql_core_does(case: str, query: str) -> None:
    expected = run(StrawberryGraphQLCoreExecutionContext, BRANCHES[case], query)
    assert run(PlainFieldsExecutionContext, BRANCHES[case], query) == expected
    # The key order is the response's order too.
    assert repr(run(PlainFieldsExecutionContext, BRANCHES[case], query)) == repr(expected)


def test_fields_with_resolvers_are_left_to_graphql_core() -> None:
    @strawberry.type
    class Query:
        branch: Branch

    schema = strawberry.Schema(query=Query)
    fields = plain_fields(schema._schema)
    assert sorted(fields["Branch"]) == ["label", "leaf", "leaves", "loose", "maybe"]
    assert sorted(fields["Leaf"]) == ["colour", "count", "flag", "key", "name"]
