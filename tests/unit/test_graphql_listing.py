"""`events(eventType:, eventTypes:)` read into the shared listing rule: each filter alone means
what REST's `eventType` means, errors name the argument given, and both at once are refused."""

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.graphql.listing import BOTH_TYPE_FILTERS, parse_events_arguments
from schema.errors import FieldError, InvalidInput
from schema.events import EventListQuery, parse_listing
from schema.limits import MAX_EVENT_TYPE_CHARS, MAX_EVENT_TYPES

# Valid types, the longest valid one, one too long, and anything else.
EVENT_TYPES = st.one_of(
    st.sampled_from(["click", "page_view", "a" * MAX_EVENT_TYPE_CHARS]),
    st.sampled_from(["", "9", "a" * (MAX_EVENT_TYPE_CHARS + 1), "with space"]),
    st.text(max_size=80),
)
TYPE_LISTS = st.lists(EVENT_TYPES, max_size=MAX_EVENT_TYPES + 2)
BOTH = [
    FieldError("eventType", BOTH_TYPE_FILTERS, "mutually_exclusive"),
    FieldError("eventTypes", BOTH_TYPE_FILTERS, "mutually_exclusive"),
]


def outcome(read: Any) -> EventListQuery | list[FieldError]:
    try:
        query: EventListQuery = read()
    except InvalidInput as invalid:
        return invalid.errors
    return query


def graphql_listing(
    event_type: str | None = None, event_types: list[str] | None = None, first: int = 10
) -> EventListQuery | list[FieldError]:
    return outcome(
        lambda: parse_events_arguments(
            "user-1",
            first=first,
            after=None,
            event_type=event_type,
            event_types=event_types,
            start=None,
            end=None,
        )
    )


def rest_listing(types: list[str], first: int = 10) -> EventListQuery | list[FieldError]:
    return outcome(lambda: parse_listing("user-1", {"limit": [first], "eventType": types}))


def renamed(errors: list[FieldError], name: str) -> list[FieldError]:
    return [
        FieldError(name + e.field[len("eventType") :], e.message, e.code)
        if e.field.startswith("eventType")
        else e
        for e in errors
    ]


@given(EVENT_TYPES)
def test_event_type_alone_is_rests_event_type_given_once(event_type: str) -> None:
    assert graphql_listing(event_type=event_type) == rest_listing([event_type])


@pytest.mark.slow
@given(TYPE_LISTS)
def test_event_types_alone_is_rests_event_type_repeated_named_as_given(types: list[str]) -> None:
    rest = rest_listing(types)
    expected = renamed(rest, "eventTypes") if isinstance(rest, list) else rest
    assert graphql_listing(event_types=types) == expected


@pytest.mark.slow
@given(EVENT_TYPES, TYPE_LISTS, st.sampled_from([0, 10, 1001]))
def test_both_filters_are_refused_beside_every_other_offence(
    event_type: str, types: list[str], first: int
) -> None:
    rest = rest_listing(types, first)
    others = renamed(rest, "eventTypes") if isinstance(rest, list) else []
    assert graphql_listing(event_type, types, first) == BOTH + others


@pytest.mark.parametrize("types", [None, []])
def test_no_filter_or_an_empty_list_is_no_filter(types: list[str] | None) -> None:
    assert graphql_listing(event_types=types) == EventListQuery.model_validate({"limit": 10})
