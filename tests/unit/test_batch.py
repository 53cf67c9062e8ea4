"""Batches through the write protocol, against fake stores: each event exactly as a single POST
would fare, in one round of store calls, and no half-written batch ever visible."""

import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from schema.access import Caller
from schema.errors import EventConflict, EventLogError, InvalidInput, StoreUnavailable
from schema.outcome import EventResult, Outcome
from tests.factories import make_event
from tests.unit.fakes import ANYONE, World, with_id

CREATED, REPLAYED, CONFLICT = Outcome.CREATED, Outcome.REPLAYED, Outcome.CONFLICT


def record(world: World, events: list[Any], caller: Caller = ANYONE) -> list[EventResult]:
    return world.resolver.record_events({"events": events}, caller=caller)


def outcomes(results: list[EventResult]) -> list[Outcome]:
    return [result.outcome for result in results]


def test_a_batch_costs_one_claim_per_event_and_one_insert_for_all(world: World) -> None:
    events = [make_event() for _ in range(100)]
    results = record(world, events)
    assert outcomes(results) == [CREATED] * 100
    assert world.calls == ["details.claim"] * 100 + ["metadata.insert"]
    assert len(world.metadata.rows) == 100


def test_each_event_has_its_own_fate_in_request_order(world: World) -> None:
    stored = with_id()
    record(world, [stored])
    world.calls.clear()
    mine = Caller(subject="user-42")
    events = [
        make_event(userId="user-42"),
        stored | {"userId": "user-42"},  # same eventId, other content
        make_event(userId="user-42", eventType="has space"),
        make_event(userId="user-7"),  # not the caller's
        "not an object",
        make_event(userId="user-42", eventId=stored["eventId"].upper()),
    ]
    results = record(world, events, caller=mine)
    assert outcomes(results) == [
        CREATED,
        CONFLICT,
        Outcome.INVALID,
        Outcome.FORBIDDEN,
        Outcome.INVALID,
        CONFLICT,
    ]
    assert isinstance(results[2].error, InvalidInput)
    assert [error.field for error in results[2].error.errors] == ["eventType"]
    assert isinstance(results[1].error, EventConflict)
    assert results[0].event is not None and results[0].event.user_id == "user-42"


def test_an_event_id_repeated_in_a_batch_is_stored_once_and_its_twins_replay_or_conflict(
    world: World,
) -> None:
    first = with_id(timestamp="2026-11-24T10:00:00Z")
    results = record(world, [first, first, first | {"eventType": "click"}, first])
    assert outcomes(results) == [CREATED, REPLAYED, CONFLICT, REPLAYED]
    assert results[1].event == results[3].event == results[0].event
    assert list(world.metadata.rows) == [first["eventId"]]


def orphan(world: World, event: dict[str, Any]) -> None:
    """Leave `event`'s details claimed with no row (a commit in doubt, never retried)."""
    world.metadata.fail_inserts, world.metadata.in_doubt = 1, True
    with pytest.raises(StoreUnavailable):
        record(world, [event])
    world.metadata.in_doubt = False
    world.calls.clear()


def test_an_event_id_passed_on_after_a_conflicting_claim_is_committed_with_the_rest(
    world: World,
) -> None:
    held = with_id(details={"held": True})
    orphan(world, held)
    other = held | {"details": {"held": False}}
    new = with_id()
    results = record(world, [other, held, other, new, held])
    assert outcomes(results) == [CONFLICT, CREATED, CONFLICT, CREATED, REPLAYED]
    assert world.calls.count("metadata.insert") == 1
    assert results[4].event == results[1].event
    assert sorted(world.metadata.rows) == sorted([held["eventId"], new["eventId"]])


def test_a_store_failing_in_a_later_claim_round_answers_for_the_whole_batch_with_nothing_stored(
    world: World,
) -> None:
    """The answer a client gets is true: a 503 means nothing of the batch is visible, so the
    retry it asks for stores every event once."""
    held = with_id(details={"held": True})
    orphan(world, held)
    other = held | {"details": {"held": False}}
    new = with_id()
    world.details.fail_claims_after = 2  # the first round's two claims, not the next round's
    with pytest.raises(StoreUnavailable):
        record(world, [other, new, held])
    assert world.metadata.rows == {}
    assert list(world.details.items) == [held["eventId"]]  # the orphan as it was: ours withdrawn
    world.details.fail_claims_after = None
    assert outcomes(record(world, [other, new, held])) == [CONFLICT, CREATED, CREATED]
    assert outcomes(record(world, [other, new, held])) == [CONFLICT, REPLAYED, REPLAYED]


def test_replays_cost_one_read_of_their_details_and_no_write(world: World) -> None:
    events = [with_id() for _ in range(3)]
    first = record(world, events)
    world.calls.clear()
    again = record(world, events)
    assert outcomes(again) == [REPLAYED] * 3
    assert [result.event for result in again] == [result.event for result in first]
    assert world.calls == ["details.get_many"]


def test_a_claim_unanswered_fails_the_whole_batch_and_withdraws_the_claims_made(
    world: World,
) -> None:
    events = [with_id() for _ in range(5)]
    world.details.fail_claims_after = 3
    with pytest.raises(StoreUnavailable) as failure:
        record(world, events)
    assert failure.value.store == "details"
    assert world.details.items == {} and world.metadata.rows == {}
    world.details.fail_claims_after = None
    assert outcomes(record(world, events)) == [CREATED] * 5
    assert outcomes(record(world, events)) == [REPLAYED] * 5


def test_a_failed_insert_withdraws_every_claim_and_shows_nothing(world: World) -> None:
    events = [with_id() for _ in range(4)]
    world.metadata.fail_inserts = 1
    with pytest.raises(StoreUnavailable):
        record(world, events)
    assert world.details.items == {} and world.metadata.rows == {}


def test_an_insert_in_doubt_keeps_every_claim_for_the_retry_to_adopt(world: World) -> None:
    events = [with_id() for _ in range(4)]
    world.metadata.fail_inserts = 1
    world.metadata.in_doubt = True
    with pytest.raises(StoreUnavailable):
        record(world, events)
    assert sorted(world.details.items) == sorted(event["eventId"] for event in events)
    assert world.metadata.rows == {}
    assert outcomes(record(world, events)) == [CREATED] * 4


def test_rows_another_request_committed_first_are_answered_as_its_replays(world: World) -> None:
    events = [with_id() for _ in range(3)]
    racing = World()
    record(racing, events[1:2])
    world.metadata.before_insert = list(racing.metadata.events().values())
    world.details.items = racing.details.items
    results = record(world, events)
    assert outcomes(results) == [CREATED, REPLAYED, CREATED]
    assert world.calls.count("metadata.insert") == 2
    assert len(world.metadata.rows) == 3


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ([make_event()], "", "object_type"),
        ({}, "events", "missing"),
        ({"events": {}}, "events", "list_type"),
        ({"events": []}, "events", "too_short"),
        ({"events": [make_event()] * 501}, "events", "too_long"),
        ({"events": [make_event()], "extra": 1}, "extra", "extra_forbidden"),
    ],
)
def test_a_malformed_envelope_is_refused_whole_and_reaches_no_store(
    world: World, body: Any, field: str, code: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        world.resolver.record_events(body, caller=ANYONE)
    assert [(error.field, error.code) for error in refused.value.errors] == [(field, code)]
    assert world.calls == []


# Events drawn from a small pool, so that ids repeat within and across batches.
_IDS = [str(uuid.UUID(int=n)) for n in range(1, 5)]
_EVENT = st.fixed_dictionaries(
    {"userId": st.sampled_from(["u1", "u2"]), "eventType": st.sampled_from(["a", "b", "not ok"])},
    optional={
        "eventId": st.sampled_from(_IDS),
        "timestamp": st.sampled_from(["2026-11-24T10:00:00Z", "2026-11-24T11:00:00Z"]),
        "details": st.sampled_from([{}, {"n": 1}, {"n": 1.0}]),
    },
)


def _single_post(world: World, event: dict[str, Any]) -> tuple[Outcome, Any]:
    try:
        outcome = world.resolver.record_event(event, caller=ANYONE)
    except EventLogError as refused:
        kind = CONFLICT if isinstance(refused, EventConflict) else Outcome.INVALID
        return kind, None
    return (CREATED if outcome.created else REPLAYED), outcome.event


@pytest.mark.slow
@hypothesis_settings(max_examples=200)
@given(batches=st.lists(st.lists(_EVENT, min_size=1, max_size=6), min_size=1, max_size=4))
def test_a_batch_answers_and_stores_what_the_same_single_posts_would(
    batches: list[list[dict[str, Any]]],
) -> None:
    """The batch's outcomes and the stores' contents equal those of POSTing its events one by
    one in order (server-made eventIds aside)."""
    batched, single = World(), World()
    for batch in batches:
        results = record(batched, batch)
        expected = [_single_post(single, event) for event in batch]
        assert outcomes(results) == [kind for kind, _ in expected]
        for result, (_, event) in zip(results, expected, strict=True):
            if event is None:
                assert result.event is None
                continue
            assert result.event is not None
            made = set() if str(event.event_id) in _IDS else {"event_id"}
            assert result.event.model_dump(exclude=made) == event.model_dump(exclude=made)

    def contents(world: World) -> list[tuple[str, str, str]]:
        return sorted(
            (row.event_id if row.event_id in _IDS else "made", row.user_id, row.content_hash)
            for row in world.metadata.events().values()
        )

    assert contents(batched) == contents(single)
    assert {key: item["details"] for key, item in batched.details.items.items() if key in _IDS} == {
        key: item["details"] for key, item in single.details.items.items() if key in _IDS
    }
