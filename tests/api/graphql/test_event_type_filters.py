"""`events(eventType:)` and `events(eventTypes:)`: the one-type filter clients were built on
(`$t: String`), the list filter beside it, the deprecation GraphQL tools show, and the answer
to a query that gives both."""

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.api.graphql.graphql_client import graphql
from tests.factories import make_event, unique_user

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
ONE_TYPE = """
query OneType($u: String!, $t: String) {
  events(userId: $u, eventType: $t) { nodes { eventType timestamp } }
}
"""
SEVERAL_TYPES = """
query SeveralTypes($u: String!, $ts: [String!]) {
  events(userId: $u, eventTypes: $ts) { nodes { eventType timestamp } }
}
"""
BOTH = """
query Both($u: String!, $t: String, $ts: [String!], $n: Int) {
  events(userId: $u, eventType: $t, eventTypes: $ts, first: $n) { nodes { eventType } }
}
"""
PAGED = """
query Paged($u: String!, $t: String, $ts: [String!], $after: String) {
  events(userId: $u, eventType: $t, eventTypes: $ts, first: 1, after: $after) {
    nodes { eventType timestamp }
    pageInfo { endCursor }
  }
}
"""
EVENTS_ARGUMENTS = """
{
  __type(name: "Query") {
    fields {
      name
      args { name }
      withDeprecated: args(includeDeprecated: true) {
        name isDeprecated deprecationReason type { kind name ofType { kind ofType { name } } }
      }
    }
  }
}
"""


def history(client: TestClient) -> tuple[str, list[dict[str, str]]]:
    """A user with a view, two clicks and a buy an hour apart, and those events as GraphQL
    shows them (newest first)."""
    user = unique_user()
    kinds = ["view", "click", "buy", "click"]
    shown = []
    for hours, kind in enumerate(kinds):
        timestamp = T0 - timedelta(hours=hours)
        body = make_event(userId=user, eventType=kind, timestamp=timestamp.isoformat())
        assert client.post("/events", json=body).status_code == 201
        shown.append({"eventType": kind, "timestamp": timestamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ")})
    return user, shown


def of_types(events: list[dict[str, str]], *kinds: str) -> list[dict[str, str]]:
    return [event for event in events if event["eventType"] in kinds]


def nodes(events: list[dict[str, str]]) -> dict[str, Any]:
    return {"data": {"events": {"nodes": events}}}


def test_a_query_declaring_t_string_filters_by_one_type_as_before(client: TestClient) -> None:
    user, events = history(client)
    assert graphql(client, ONE_TYPE, u=user, t="click") == nodes(of_types(events, "click"))
    assert graphql(client, ONE_TYPE, u=user, t=None) == nodes(events)
    assert graphql(client, ONE_TYPE, u=user) == nodes(events)
    rest = client.get(f"/events/{user}", params={"eventType": "click"}).json()["events"]
    assert [(e["eventType"], e["timestamp"]) for e in rest] == [
        (e["eventType"], e["timestamp"]) for e in of_types(events, "click")
    ]


def test_event_types_takes_a_list_variable_any_of_its_types(client: TestClient) -> None:
    user, events = history(client)
    assert graphql(client, SEVERAL_TYPES, u=user, ts=["buy", "view"]) == nodes(
        of_types(events, "buy", "view")
    )
    assert graphql(client, SEVERAL_TYPES, u=user, ts=["buy"]) == nodes(of_types(events, "buy"))
    # No types is no filter, as REST without `eventType`.
    assert graphql(client, SEVERAL_TYPES, u=user, ts=[]) == nodes(events)
    assert graphql(client, SEVERAL_TYPES, u=user, ts=None) == nodes(events)


def test_event_type_is_deprecated_in_introspection_and_event_types_is_not(
    client: TestClient,
) -> None:
    fields = graphql(client, EVENTS_ARGUMENTS)["data"]["__type"]["fields"]
    events = next(field for field in fields if field["name"] == "events")
    # GraphQL leaves deprecated arguments out unless asked (GraphiQL asks).
    assert [arg["name"] for arg in events["args"]] == [
        "userId",
        "first",
        "after",
        "eventTypes",
        "from",
        "to",
    ]
    by_name = {arg["name"]: arg for arg in events["withDeprecated"]}
    assert list(by_name) == ["userId", "first", "after", "eventType", "eventTypes", "from", "to"]
    assert by_name["eventType"] == {
        "name": "eventType",
        "isDeprecated": True,
        "deprecationReason": "Use eventTypes, which takes one type or several.",
        "type": {"kind": "SCALAR", "name": "String", "ofType": None},
    }
    assert by_name["eventTypes"] == {
        "name": "eventTypes",
        "isDeprecated": False,
        "deprecationReason": None,
        "type": {
            "kind": "LIST",
            "name": None,
            "ofType": {"kind": "NON_NULL", "ofType": {"name": "String"}},
        },
    }


def both_refused(*fields: str) -> list[dict[str, Any]]:
    message = "Give `eventType` or `eventTypes`, not both."
    return [
        {"field": field, "message": message, "code": "mutually_exclusive"}
        for field in ("eventType", "eventTypes")
    ] + [error for error in FIRST_BELOW_ONE if error["field"] in fields]


FIRST_BELOW_ONE = [
    {
        "field": "first",
        "message": "Input should be greater than or equal to 1",
        "code": "greater_than_equal",
    }
]


def test_both_type_filters_are_bad_user_input_naming_both(client: TestClient) -> None:
    user, _ = history(client)
    answer = graphql(client, BOTH, u=user, t="click", ts=["click"])
    assert answer == {
        "data": {"events": None},
        "errors": [
            {
                "message": "Invalid input: eventType, eventTypes",
                "locations": [{"line": 3, "column": 3}],
                "path": ["events"],
                "extensions": {"code": "BAD_USER_INPUT", "errors": both_refused()},
            }
        ],
    }
    # Checked with the other arguments: every offence in one answer.
    with_first = graphql(client, BOTH, u=user, t="click", ts=[], n=0)
    assert with_first["errors"][0]["message"] == "Invalid input: eventType, eventTypes, first"
    assert with_first["errors"][0]["extensions"]["errors"] == both_refused("first")
    # null is an argument not given, as everywhere in this API.
    assert graphql(client, BOTH, u=user, t=None, ts=["click"]) == {
        "data": {"events": {"nodes": [{"eventType": "click"}] * 2}}
    }
    assert graphql(client, BOTH, u=user, t="view", ts=None) == {
        "data": {"events": {"nodes": [{"eventType": "view"}]}}
    }


def test_a_broken_rule_names_the_argument_the_client_gave(client: TestClient) -> None:
    def fields(query: str, **variables: Any) -> list[tuple[str, str]]:
        errors = graphql(client, query, u="someone", **variables)["errors"][0]["extensions"]
        return [(error["field"], error["code"]) for error in errors["errors"]]

    assert fields(ONE_TYPE, t="9") == [("eventType", "string_pattern_mismatch")]
    assert fields(SEVERAL_TYPES, ts=["9"]) == [("eventTypes", "string_pattern_mismatch")]
    assert fields(SEVERAL_TYPES, ts=["ok", "9"]) == [("eventTypes[1]", "string_pattern_mismatch")]
    assert fields(SEVERAL_TYPES, ts=[f"t{n}" for n in range(11)]) == [("eventTypes", "too_long")]
    assert graphql(client, SEVERAL_TYPES, u="someone", ts=[f"t{n}" for n in range(10)]) == nodes([])


def test_a_cursor_made_with_one_type_filter_continues_with_the_other(client: TestClient) -> None:
    """Both filters are one rule, and a cursor is bound to the set of types it was made for."""
    user, events = history(client)
    clicks = of_types(events, "click")
    first = graphql(client, PAGED, u=user, t="click")["data"]["events"]
    assert first["nodes"] == clicks[:1]
    second = graphql(client, PAGED, u=user, ts=["click"], after=first["pageInfo"]["endCursor"])
    assert second["data"]["events"]["nodes"] == clicks[1:]
    again = graphql(client, PAGED, u=user, t="click", after=first["pageInfo"]["endCursor"])
    assert again == second
    other = graphql(client, PAGED, u=user, ts=["view"], after=first["pageInfo"]["endCursor"])
    assert other["errors"][0]["extensions"] == {"code": "INVALID_CURSOR"}
