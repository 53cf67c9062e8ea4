"""The write protocol, idempotency and the join, against fake stores."""

from datetime import timedelta
from typing import Any

import pytest

from schema.errors import (
    EventConflict,
    EventNotFound,
    InvalidCursor,
    InvalidInput,
    StoreUnavailable,
)
from schema.events import EventListQuery, parse_event_create
from schema.limits import Limits
from tests.factories import make_event
from tests.unit.fakes import ANYONE, NOW, World, with_id


def test_writes_details_before_the_metadata_row(world: World) -> None:
    outcome = world.resolver.record_event(make_event(), caller=ANYONE)
    assert outcome.created
    assert world.calls == ["details.claim", "metadata.insert"]


def test_defaults_timestamp_to_receive_time_and_makes_an_event_id(world: World) -> None:
    event = world.resolver.record_event(make_event(), caller=ANYONE).event
    assert event.timestamp == event.received_at == NOW
    assert event.event_id.version == 4


def test_a_replay_returns_the_stored_event_and_writes_nothing(world: World) -> None:
    body = with_id(timestamp="2026-11-24T10:00:00Z")
    first = world.resolver.record_event(body, caller=ANYONE)
    world.calls.clear()
    again = world.resolver.record_event(body, caller=ANYONE)
    assert (again.created, again.event) == (False, first.event)
    assert "details.claim" not in world.calls and "metadata.insert" not in world.calls


def test_a_replay_without_a_timestamp_matches_the_stored_one(world: World) -> None:
    body = with_id(timestamp="2026-11-24T10:00:00Z")
    world.resolver.record_event(body, caller=ANYONE)
    retry = {key: value for key, value in body.items() if key != "timestamp"}
    assert not world.resolver.record_event(retry, caller=ANYONE).created


@pytest.mark.parametrize(
    "change",
    [
        {"details": {"page": "/other"}},
        {"eventType": "click"},
        {"userId": "someone-else"},
        {"timestamp": "2026-11-24T10:00:00.001Z"},
    ],
)
def test_a_reused_event_id_with_other_content_conflicts_and_changes_nothing(
    world: World, change: dict[str, Any]
) -> None:
    body = with_id(timestamp="2026-11-24T10:00:00Z")
    stored = world.resolver.record_event(body, caller=ANYONE).event
    with pytest.raises(EventConflict):
        world.resolver.record_event(body | change, caller=ANYONE)
    assert world.resolver.get_event(stored.user_id, str(stored.event_id), caller=ANYONE) == stored


def test_a_failed_row_write_withdraws_the_details_and_shows_nothing(world: World) -> None:
    body = with_id()
    world.metadata.fail_inserts = 1
    with pytest.raises(StoreUnavailable) as failure:
        world.resolver.record_event(body, caller=ANYONE)
    assert failure.value.store == "metadata"
    assert world.details.items == {}
    assert world.visible(body["userId"]) == []


def test_the_retry_after_a_failed_row_write_succeeds_exactly_once(world: World) -> None:
    body = with_id()
    world.metadata.fail_inserts = 1
    with pytest.raises(StoreUnavailable):
        world.resolver.record_event(body, caller=ANYONE)
    assert world.resolver.record_event(body, caller=ANYONE).created
    assert not world.resolver.record_event(body, caller=ANYONE).created
    assert world.visible(body["userId"]) == [body["eventId"]]


def test_a_commit_in_doubt_keeps_the_details_so_a_landed_row_is_never_bare(world: World) -> None:
    body = with_id()
    world.metadata.fail_inserts = 1
    world.metadata.in_doubt = True
    with pytest.raises(StoreUnavailable):
        world.resolver.record_event(body, caller=ANYONE)
    assert list(world.details.items) == [body["eventId"]]
    assert world.visible(body["userId"]) == []
    assert world.resolver.record_event(body, caller=ANYONE).created


def test_a_details_outage_writes_no_row(world: World) -> None:
    world.details.down = True
    with pytest.raises(StoreUnavailable) as failure:
        world.resolver.record_event(make_event(), caller=ANYONE)
    assert failure.value.store == "details"
    assert world.metadata.rows == {}


def test_an_identical_request_committing_first_makes_ours_a_replay(world: World) -> None:
    body = with_id()
    racing = World()
    racing.calls = world.calls
    racing.resolver.record_event(body, caller=ANYONE)
    world.metadata.before_insert = list(racing.metadata.events().values())
    world.details.items = racing.details.items
    outcome = world.resolver.record_event(body, caller=ANYONE)
    assert not outcome.created
    assert len(world.metadata.rows) == 1


def test_a_failing_twin_does_not_delete_details_another_writer_relies_on(world: World) -> None:
    body = with_id()
    content_hash = parse_event_create(body, Limits(), NOW).content_hash()
    # Writer A has claimed the details and is about to write its row...
    world.details.claim(body["eventId"], body["userId"], body["details"], content_hash, "A")
    # ...when identical request B claims too, fails on SQL and withdraws.
    world.metadata.fail_inserts = 1
    with pytest.raises(StoreUnavailable):
        world.resolver.record_event(body, caller=ANYONE)
    assert world.details.items[body["eventId"]]["writers"] == {"A"}
    # A's row lands (here: the same request completing) with its details intact.
    assert world.resolver.record_event(body, caller=ANYONE).created
    assert world.visible(body["userId"]) == [body["eventId"]]


def test_orphaned_details_with_other_content_conflict(world: World) -> None:
    body = with_id()
    world.details.claim(body["eventId"], body["userId"], {"x": 1}, "another-hash", "w")
    with pytest.raises(EventConflict):
        world.resolver.record_event(body, caller=ANYONE)
    assert world.metadata.rows == {}


def test_invalid_input_touches_no_store(world: World) -> None:
    with pytest.raises(InvalidInput):
        world.resolver.record_event(make_event(userId="no spaces"), caller=ANYONE)
    assert world.calls == []


def test_another_users_event_is_not_found(world: World) -> None:
    event = world.resolver.record_event(make_event(), caller=ANYONE).event
    with pytest.raises(EventNotFound):
        world.resolver.get_event("someone-else", str(event.event_id), caller=ANYONE)
    with pytest.raises(EventNotFound):
        world.resolver.get_event(event.user_id, "not-a-uuid", caller=ANYONE)


def test_pages_walk_every_event_once_newest_first(world: World) -> None:
    user = "walker"
    for minute in range(7):
        world.resolver.record_event(
            make_event(userId=user, timestamp=(NOW - timedelta(minutes=minute % 3)).isoformat()),
            caller=ANYONE,
        )
    seen, cursor = [], None
    while True:
        page = world.resolver.list_events(
            user, EventListQuery(limit=3, cursor=cursor), caller=ANYONE
        )
        seen.extend(page.events)
        cursor = page.next_cursor
        if cursor is None:
            break
    order = [(-e.timestamp.timestamp(), str(e.event_id)) for e in seen]
    assert order == sorted(order) and len({e.event_id for e in seen}) == 7


def test_a_page_costs_one_query_and_one_details_lookup(world: World) -> None:
    for _ in range(5):
        world.resolver.record_event(make_event(userId="u"), caller=ANYONE)
    world.calls.clear()
    world.resolver.list_events("u", EventListQuery(limit=10), caller=ANYONE)
    assert world.calls == ["metadata.list_page", "details.get_many"]


def test_a_cursor_from_another_users_listing_is_refused(world: World) -> None:
    for _ in range(2):
        world.resolver.record_event(make_event(userId="a"), caller=ANYONE)
    cursor = world.resolver.list_events("a", EventListQuery(limit=1), caller=ANYONE).next_cursor
    with pytest.raises(InvalidCursor):
        world.resolver.list_events("b", EventListQuery(limit=1, cursor=cursor), caller=ANYONE)


def test_readiness_names_the_store_that_fails(world: World) -> None:
    assert world.resolver.unavailable_stores() == []
    world.details.down = True
    assert world.resolver.unavailable_stores() == ["details"]
    world.metadata.down = True
    assert world.resolver.unavailable_stores() == ["metadata", "details"]
