"""GraphQL at /graphql: the same rules, idempotency, paging and errors as REST."""

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from graphql import GraphQLInputObjectType, GraphQLObjectType, get_named_type
from pydantic import BaseModel

from gateway.app import create_app
from gateway.graphql.errors import GRAPHQL_NAMES, VALIDATION_BUDGET_MESSAGE
from gateway.graphql.schema import build_schema
from gateway.settings import Settings
from gateway.stores import Stores
from schema.errors import StoreUnavailable
from schema.events import EventCreate, EventListQuery
from scripts.export_schema import SCHEMA_FILE, exported_schema
from tests.api.conftest import (
    BrokenMetadataStore,
    app_with,
    details_store_at,
    oversized_stream,
)
from tests.api.graphql.graphql_client import (
    EVENTS,
    GRAPHQL_RESPONSE,
    RECORD,
    error_codes,
    graphql,
)
from tests.conftest import closed_port
from tests.factories import make_event, unique_user
from tests.wire import HANG_GUARD_SECONDS

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def record_input(**overrides: Any) -> dict[str, Any]:
    return (
        make_event(eventId=str(uuid.uuid4()), timestamp="2026-11-24T09:30:00.250+01:00") | overrides
    )


def test_record_event_creates_then_replays_like_rest(client: TestClient) -> None:
    body = record_input()
    created = graphql(client, RECORD, input=body)["data"]["recordEvent"]
    assert created["outcome"] == "CREATED"
    rest_view = client.get(f"/events/{body['userId']}/{body['eventId']}").json()
    assert created["event"] == rest_view
    assert created["event"]["timestamp"] == "2026-11-24T08:30:00.250000Z"
    replayed = graphql(client, RECORD, input=body)["data"]["recordEvent"]
    assert replayed == {"outcome": "REPLAYED", "event": created["event"]}
    assert client.post("/events", json=body).status_code == 200


def test_a_conflicting_event_is_a_conflict_error(client: TestClient) -> None:
    body = record_input()
    graphql(client, RECORD, input=body)
    result = graphql(client, RECORD, input=body | {"details": {"other": True}})
    assert result["data"] == {"recordEvent": None}
    assert result["errors"][0]["extensions"] == {"code": "CONFLICT"}
    assert result["errors"][0]["path"] == ["recordEvent"]


def test_rule_violations_are_bad_user_input_listing_every_field(client: TestClient) -> None:
    result = client.post(
        "/graphql",
        content=(
            '{"query": "mutation($i: RecordEventInput!) { recordEvent(input: $i) { outcome } }",'
            ' "variables": {"i": {"userId": "no spaces", "eventType": "9", '
            '"timestamp": "2026-01-01T00:00:00", "details": {"x": [NaN], "": 1}}}}'
        ),
        headers={"content-type": "application/json"},
    ).json()
    error = result["errors"][0]
    assert (
        error["message"] == 'Invalid input: details.x[0], details[""], eventType, timestamp, userId'
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert sorted((e["field"], e["code"]) for e in error["extensions"]["errors"]) == [
        ("details.x[0]", "not_finite"),
        ('details[""]', "empty_key"),
        ("eventType", "string_pattern_mismatch"),
        ("timestamp", "timezone_aware"),
        ("userId", "string_pattern_mismatch"),
    ]


def test_listing_arguments_are_checked_together_with_graphql_names(client: TestClient) -> None:
    result = graphql(client, EVENTS, userId="bad user", first=1001, to="2026-01-01T00:00:00")
    assert error_codes(result) == ["BAD_USER_INPUT"]
    assert result["errors"][0]["message"] == "Invalid input: first, to, userId"
    fields = sorted(e["field"] for e in result["errors"][0]["extensions"]["errors"])
    assert fields == ["first", "to", "userId"]
    result = graphql(
        client, EVENTS, userId="u", eventType="9", first=0, **dict[str, Any]({"from": "yesterday"})
    )
    assert result["errors"][0]["message"] == "Invalid input: eventType, first, from"


def test_every_rule_field_has_its_graphql_name() -> None:
    """The rules name fields as REST does; each must be a GraphQL argument or input field of the
    same meaning once renamed, so no error names a field the GraphQL client never sent."""
    schema = build_schema()._schema
    assert schema.query_type is not None and schema.mutation_type is not None
    listing = {GRAPHQL_NAMES.get(name, name) for name in _aliases(EventListQuery)}
    # eventTypes is the list form of the same rule (eventType).
    assert set(schema.query_type.fields["events"].args) == listing | {"userId", "eventTypes"}
    record_input = schema.get_type("RecordEventInput")
    assert isinstance(record_input, GraphQLInputObjectType)
    assert set(record_input.fields) == {GRAPHQL_NAMES.get(n, n) for n in _aliases(EventCreate)}


def _aliases(model: type[BaseModel]) -> set[str]:
    return {field.alias or name for name, field in model.model_fields.items()}


def test_a_bad_cursor_is_an_invalid_cursor_error(client: TestClient) -> None:
    result = graphql(client, EVENTS, userId="someone", after="garbage")
    assert error_codes(result) == ["INVALID_CURSOR"]


def test_an_absent_event_is_null(client: TestClient) -> None:
    query = "query($u: String!, $e: ID!) { event(userId: $u, eventId: $e) { eventId } }"
    created = client.post("/events", json=make_event()).json()
    assert graphql(client, query, u=created["userId"], e=created["eventId"])["data"] == {
        "event": {"eventId": created["eventId"]}
    }
    assert graphql(client, query, u="someone-else", e=created["eventId"])["data"] == {"event": None}
    assert graphql(client, query, u=created["userId"], e="not-a-uuid")["data"] == {"event": None}


def test_numbers_keep_every_digit_from_variables_and_literals(client: TestClient) -> None:
    user = unique_user()
    details = (
        "{pi: 3.1415926535897932384626433832795028841, "
        'big: 12345678901234567890123456789012345678, list: [1, -0.5, true, null, "ü"]}'
    )
    literal = (
        f'mutation {{ recordEvent(input: {{userId: "{user}", eventType: "e", details: {details}}})'
        " { event { details } } }"
    )
    response = client.post("/graphql", json={"query": literal})
    assert '"pi":3.1415926535897932384626433832795028841' in response.text
    assert '"big":12345678901234567890123456789012345678' in response.text
    assert '"list":[1,-0.5,true,null,"ü"]' in response.text
    listed = client.get(f"/events/{user}").text
    assert '"pi":3.1415926535897932384626433832795028841' in listed


def test_no_query_can_nest_deeper_than_four_levels_because_the_types_are_acyclic() -> None:
    schema = build_schema()._schema

    def depth(type_: Any, seen: frozenset[str]) -> int:
        named = get_named_type(type_)
        if not isinstance(named, GraphQLObjectType):
            return 0
        assert named.name not in seen, f"cycle through {named.name}: add a depth limiter"
        fields = named.fields.values()
        return 1 + max(depth(field.type, seen | {named.name}) for field in fields)

    deepest = max(
        depth(field.type, frozenset())
        for root in (schema.query_type, schema.mutation_type)
        if root is not None
        for field in root.fields.values()
    )
    assert deepest == 3  # + the root field itself: events > edges > node > field


def fragment_bomb(levels: int, leaf: str) -> str:
    """Each fragment spreads the one before it twice: 2^levels leaves in a few hundred bytes."""
    document = f"query {{ ...F{levels} }}\nfragment F0 on Query {{ {leaf} }}\n"
    for level in range(1, levels + 1):
        document += f"fragment F{level} on Query {{ ...F{level - 1} ...F{level - 1} }}\n"
    return document


def test_a_fragment_bomb_costs_no_more_than_its_size(client: TestClient) -> None:
    """Found by an outside tester: the alias rule walked a fragment again at every spread, so
    20 levels cost seconds of CPU per request, anonymously. Each runs under a hang guard (not a
    timing assertion): before the fix, 40 levels would have run for days."""
    pool = ThreadPoolExecutor(1)
    try:
        aliased = pool.submit(graphql, client, fragment_bomb(40, "a: __typename"), status=400)
        result = aliased.result(timeout=HANG_GUARD_SECONDS)
        assert result["errors"][0]["message"] == f"{2**40} aliases found. Allowed: 10"
        plain = pool.submit(graphql, client, fragment_bomb(40, "__typename"))
        assert plain.result(timeout=HANG_GUARD_SECONDS) == {"data": {"__typename": "Query"}}
    finally:
        pool.shutdown(wait=False)


def test_aliases_in_a_fragment_count_once_for_each_spread(client: TestClient) -> None:
    fragment = "fragment Six on Query { " + " ".join(f"a{i}: __typename" for i in range(6)) + " }"
    once = graphql(client, "query { ...Six } " + fragment)
    assert len(once["data"]) == 6
    twice = graphql(client, "query { ...Six ... on Query { ...Six } } " + fragment, status=400)
    assert twice["errors"][0]["message"] == "12 aliases found. Allowed: 10"


def test_a_document_past_the_validation_budget_is_told_why(client: TestClient) -> None:
    result = graphql(client, "{" + " __typename" * 900 + " }", status=400)
    assert error_codes(result) == ["GRAPHQL_VALIDATION_FAILED"]
    assert result["errors"][0]["message"] == VALIDATION_BUDGET_MESSAGE


def test_too_many_aliases_or_tokens_are_refused_before_running(client: TestClient) -> None:
    aliases = " ".join(f'a{i}: event(userId: "u", eventId: "x") {{ eventId }}' for i in range(11))
    result = graphql(client, "{ " + aliases + " }", status=400)
    assert result["errors"][0]["message"] == "11 aliases found. Allowed: 10"
    assert error_codes(result) == ["GRAPHQL_VALIDATION_FAILED"]
    padded = '{ event(userId: "u", eventId: "x") { ' + "eventId " * 2000 + "} }"
    result = graphql(client, padded, status=400)
    # The parser stops counting tokens: the document does not parse.
    assert error_codes(result) == ["GRAPHQL_PARSE_FAILED"]
    assert result["errors"][0]["message"] == (
        "Syntax Error: Document contains more than 2000 tokens. Parsing aborted."
    )


def test_a_variable_of_the_wrong_type_is_bad_user_input(client: TestClient) -> None:
    result = graphql(client, EVENTS, status=400, userId="u", first="ten")
    assert error_codes(result) == ["BAD_USER_INPUT"]
    assert "Int cannot represent" in result["errors"][0]["message"]
    assert "data" not in result


def test_an_unavailable_store_is_service_unavailable_naming_it(settings: Settings) -> None:
    down = details_store_at(settings, f"http://127.0.0.1:{closed_port()}")
    with TestClient(app_with(settings, details=down)) as client:
        result = graphql(client, RECORD, input=record_input())
    assert result["errors"][0]["extensions"] == {"code": "SERVICE_UNAVAILABLE", "store": "details"}


@pytest.mark.slow
def test_stores_that_cannot_be_opened_fail_the_fields_as_service_unavailable(
    settings: Settings,
) -> None:
    """On Lambda the stores are opened on demand; a failure is a GraphQL answer there too."""

    def unreachable() -> Stores:
        raise StoreUnavailable("metadata")

    with TestClient(create_app(settings, unreachable)) as client:
        result = graphql(client, EVENTS, userId="u")
    assert result["data"] == {"events": None}
    assert result["errors"][0]["extensions"] == {"code": "SERVICE_UNAVAILABLE", "store": "metadata"}


def test_an_unexpected_error_is_masked(settings: Settings) -> None:
    with TestClient(app_with(settings, metadata=BrokenMetadataStore())) as client:
        result = graphql(client, EVENTS, userId="u")
    error = result["errors"][0]
    assert error["message"] == (
        "Something went wrong on our side; quote the requestId when reporting it."
    )
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "SELECT" not in str(result)


def test_rest_and_graphql_return_the_same_events_in_the_same_order_with_the_same_cursors(
    client: TestClient,
) -> None:
    user = unique_user()
    for i in range(7):
        client.post(
            "/events",
            json=make_event(userId=user, timestamp=(T0 - timedelta(minutes=i % 3)).isoformat()),
        )
    rest_events, graphql_events, cursor = [], [], None
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = client.get(f"/events/{user}", params=params).json()
        connection = graphql(client, EVENTS, userId=user, first=3, after=cursor)["data"]["events"]
        assert [edge["node"] for edge in connection["edges"]] == page["events"]
        assert connection["pageInfo"]["hasNextPage"] == (page["nextCursor"] is not None)
        if page["nextCursor"]:
            assert connection["pageInfo"]["endCursor"] == page["nextCursor"]
        rest_events += page["events"]
        graphql_events += [edge["node"] for edge in connection["edges"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert rest_events == graphql_events and len(rest_events) == 7


def test_filters_mean_the_same_in_both(client: TestClient) -> None:
    user = unique_user()
    for hours in range(4):
        client.post(
            "/events",
            json=make_event(
                userId=user,
                eventType="click" if hours % 2 else "view",
                timestamp=(T0 - timedelta(hours=hours)).isoformat(),
            ),
        )
    window: dict[str, Any] = {
        "eventType": "click",
        "from": (T0 - timedelta(hours=3)).isoformat(),
        "to": T0.isoformat(),
    }
    rest = client.get(f"/events/{user}", params=window).json()["events"]
    nodes = graphql(client, EVENTS, userId=user, **window)["data"]["events"]["edges"]
    assert [edge["node"] for edge in nodes] == rest and len(rest) == 2


def test_the_checked_in_schema_is_the_one_the_code_serves() -> None:
    assert SCHEMA_FILE.read_text() == exported_schema(), "run `make schema` and commit the result"


def test_the_schema_says_what_after_takes(client: TestClient) -> None:
    """GraphiQL and generated clients show it: a page is walked with the previous endCursor."""
    answer = client.post(
        "/graphql",
        json={"query": '{ __type(name: "Query") { fields { name args { name description } } } }'},
    )
    fields = {field["name"]: field for field in answer.json()["data"]["__type"]["fields"]}
    described = {arg["name"]: arg["description"] for arg in fields["events"]["args"]}
    assert described["after"] == (
        "The page starts after this cursor: the previous page's `pageInfo.endCursor` (or an "
        "edge's `cursor`), with the same userId and filters. Leave it out for the first page."
    )


def test_a_graphql_body_over_the_limit_is_413_as_a_graphql_error(client: TestClient) -> None:
    """GraphQL's limit is the batch's (recordEvents carries up to 500 events)."""
    padding = "x" * 1_100_000
    response = client.post(
        "/graphql", json={"query": "{ __typename }", "variables": {"p": padding}}
    )
    too_large = {
        "errors": [
            {
                "message": "The body exceeds 1048576 bytes.",
                "extensions": {"code": "PAYLOAD_TOO_LARGE"},
            }
        ]
    }
    assert response.status_code == 413
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    assert response.json() == too_large

    chunks = oversized_stream(
        b'{"query": "{ __typename }", "variables": {"p": "', b'"}}', size=1_100_000
    )
    streamed = client.post("/graphql", content=chunks, headers={"content-type": "application/json"})
    assert streamed.status_code == 413
    assert streamed.json() == too_large


def test_bounds_at_the_edges_of_the_calendar_list_every_event(client: TestClient) -> None:
    user = unique_user()
    created = client.post("/events", json=make_event(userId=user)).json()
    result = graphql(
        client,
        EVENTS,
        userId=user,
        to="9999-12-31T23:59:59-01:00",
        **dict[str, Any]({"from": "0001-01-01T00:00:00+01:00"}),
    )
    assert [edge["node"] for edge in result["data"]["events"]["edges"]] == [created]


def test_times_that_are_not_rfc_3339_with_an_offset_are_bad_user_input(client: TestClient) -> None:
    listing = graphql(
        client, EVENTS, userId="u", to="0.5", **dict[str, Any]({"from": "2026-11-24 09:30Z"})
    )
    assert error_codes(listing) == ["BAD_USER_INPUT"]
    assert sorted(
        (e["field"], e["code"]) for e in listing["errors"][0]["extensions"]["errors"]
    ) == [("from", "datetime_parsing"), ("to", "datetime_parsing")]
    recorded = graphql(client, RECORD, input=record_input(timestamp="1700000000"))
    assert recorded["errors"][0]["extensions"]["errors"] == [
        {
            "field": "timestamp",
            "message": "Input should be an RFC 3339 date-time, such as 2026-11-24T09:30:00Z or "
            "2026-11-24T09:30:00.250+01:00",
            "code": "datetime_parsing",
        }
    ]


def test_event_types_takes_several_types_as_rest_does(client: TestClient) -> None:
    user = unique_user()
    for hours, kind in enumerate(["view", "click", "buy"]):
        timestamp = (T0 - timedelta(hours=hours)).isoformat()
        client.post("/events", json=make_event(userId=user, eventType=kind, timestamp=timestamp))
    rest = client.get(f"/events/{user}?eventType=buy&eventType=view").json()["events"]
    result = graphql(client, EVENTS, userId=user, eventTypes=["buy", "view"])
    assert [edge["node"] for edge in result["data"]["events"]["edges"]] == rest
    assert [event["eventType"] for event in rest] == ["view", "buy"]
    literal = f'{{ events(userId: "{user}", eventType: "click") {{ nodes {{ eventType }} }} }}'
    assert graphql(client, literal)["data"]["events"]["nodes"] == [{"eventType": "click"}]
    too_many = graphql(client, EVENTS, userId=user, eventTypes=[f"t{n}" for n in range(11)])
    assert too_many["errors"][0]["extensions"]["errors"][0]["field"] == "eventTypes"


def test_numbers_no_decimal_holds_are_judged_in_literals_too(client: TestClient) -> None:
    def mutation(number: str) -> str:
        details = "{n: " + number + "}"
        return (
            f'mutation {{ recordEvent(input: {{userId: "{unique_user()}", eventType: "e", '
            f"details: {details}}}) {{ event {{ details }} }} }}"
        )

    huge = graphql(client, mutation("1E+9999999999999999999"))
    assert huge["errors"][0]["extensions"]["errors"][0]["code"] == "number_out_of_range"
    zeros = mutation("1.0000000000000000000000000000000000000000")
    assert '"details":{"n":1}' in client.post("/graphql", json={"query": zeros}).text


def test_a_request_body_with_a_repeated_key_is_refused_and_stores_nothing(
    client: TestClient,
) -> None:
    user = unique_user()
    response = client.post(
        "/graphql",
        content=(
            '{"query": "mutation($i: RecordEventInput!) { recordEvent(input: $i) { outcome } }",'
            f' "variables": {{"i": {{"userId": "{user}", "userId": "x", "eventType": "e"}}}}}}'
        ),
        headers={"content-type": "application/json"},
    )
    assert (response.status_code, response.json()) == (
        400,
        {
            "errors": [
                {
                    "message": "A key is repeated, which leaves its value unclear: "
                    "variables.i.userId.",
                    "extensions": {"code": "BAD_REQUEST"},
                }
            ]
        },
    )
    assert client.get(f"/events/{user}").json()["events"] == []
