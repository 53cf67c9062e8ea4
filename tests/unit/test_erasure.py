"""Erasure through the resolver layer, against fake stores: rows marked, details deleted, rows
fenced; a failure at any step answers 503 and the same call finishes; bounded per call; who
may erase. (Races with writes: tests/integration/test_erasure_races.py; every interleaving:
tests/unit/test_erasure_model.py.)"""

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from persistence.protocols import Erasing, ErasureMark, Fence, ItemVersion
from schema.access import Caller
from schema.errors import EventBeingErased, EventNotFound, Forbidden, InvalidInput, StoreUnavailable
from tests.unit.fakes import ANYONE, NOW, World, with_id


def test_erasing_an_event_marks_its_row_deletes_its_details_then_fences_it(world: World) -> None:
    body = with_id()
    world.resolver.record_event(body, caller=ANYONE)
    world.calls.clear()
    world.resolver.delete_event(body["userId"], body["eventId"], caller=ANYONE)
    assert world.calls == ["details.versions", "metadata.mark", "details.delete", "metadata.fence"]
    assert world.metadata.rows == {body["eventId"]: Fence(body["eventId"], fence_nonce(world))}
    assert world.details.items == {}
    with pytest.raises(EventNotFound):
        world.resolver.get_event(body["userId"], body["eventId"], caller=ANYONE)
    with pytest.raises(EventNotFound):
        world.resolver.delete_event(body["userId"], body["eventId"], caller=ANYONE)


def fence_nonce(world: World) -> str:
    (fence,) = [row for row in world.metadata.rows.values() if isinstance(row, Fence)]
    return fence.nonce


def test_another_users_event_is_not_found_under_ones_own_path(world: World) -> None:
    body = with_id()
    world.resolver.record_event(body, caller=ANYONE)
    with pytest.raises(EventNotFound):
        world.resolver.delete_event("someone-else", body["eventId"], caller=ANYONE)
    assert body["eventId"] in world.metadata.events()


def test_a_users_erasure_is_bounded_and_says_whether_more_remain(world: World) -> None:
    user = "eraser"
    for _ in range(5):
        world.resolver.record_event(with_id(userId=user), caller=ANYONE)
    other = with_id()
    world.resolver.record_event(other, caller=ANYONE)
    first = world.resolver.erase_user(user, {"limit": ["3"]}, caller=ANYONE)
    assert (first.deleted, first.more) == (3, True)
    second = world.resolver.erase_user(user, {}, caller=ANYONE)
    assert (second.deleted, second.more) == (2, False)
    assert world.visible(user) == []
    assert world.visible(other["userId"]) == [other["eventId"]]
    assert set(world.details.items) == {other["eventId"]}
    assert list(world.metadata.events()) == [other["eventId"]]


@pytest.mark.parametrize(
    "limit", [["0"], ["1001"], ["x"], ["-1"], ["1", "2"], ["\uff11"]]
)  # the last: a fullwidth 1
def test_a_bad_limit_is_refused_and_erases_nothing(world: World, limit: list[str]) -> None:
    body = with_id()
    world.resolver.record_event(body, caller=ANYONE)
    with pytest.raises(InvalidInput) as refused:
        world.resolver.erase_user(body["userId"], {"limit": limit}, caller=ANYONE)
    assert [error.field for error in refused.value.errors] == ["limit"]
    assert body["eventId"] in world.metadata.events()


def test_dynamodb_failing_after_the_mark_is_503_and_the_same_call_finishes(world: World) -> None:
    """The old protocol answered 200 here, and its retry could not find the details again."""
    body = with_id()
    world.resolver.record_event(body, caller=ANYONE)
    mark = world.metadata.mark_erasing

    def mark_then_lose_dynamodb(user_id: str, event_ids: Sequence[str], *, at: Any) -> ErasureMark:
        marked = mark(user_id, event_ids, at=at)
        world.details.down = True
        return marked

    world.metadata.mark_erasing = mark_then_lose_dynamodb  # type: ignore[method-assign]
    with pytest.raises(StoreUnavailable) as failed:
        world.resolver.erase_user(body["userId"], {}, caller=ANYONE)
    assert failed.value.store == "details"
    world.details.down = False
    assert world.visible(body["userId"]) == []  # invisible from the mark on
    assert isinstance(world.metadata.rows[body["eventId"]], Erasing)
    assert list(world.details.items) == [body["eventId"]]
    world.metadata.mark_erasing = mark  # type: ignore[method-assign]
    again = world.resolver.erase_user(body["userId"], {}, caller=ANYONE)
    assert (again.deleted, again.more) == (1, False)
    assert world.details.items == {} and world.metadata.events() == {}


def test_a_users_erasure_finishes_the_rows_an_earlier_call_left_marked_first(
    world: World,
) -> None:
    user = "resumer"
    old = with_id(userId=user, timestamp="2026-11-24T08:00:00Z")
    world.resolver.record_event(old, caller=ANYONE)
    world.metadata.mark_erasing(user, [old["eventId"]], at=NOW)  # a call cut after its mark
    newer = [with_id(userId=user, timestamp="2026-11-24T09:00:00Z") for _ in range(2)]
    for body in newer:
        world.resolver.record_event(body, caller=ANYONE)
    first = world.resolver.erase_user(user, {"limit": ["1"]}, caller=ANYONE)
    assert (first.deleted, first.more) == (1, True)
    assert old["eventId"] not in world.details.items
    assert sorted(world.visible(user)) == sorted(body["eventId"] for body in newer)


def test_a_write_meeting_its_event_being_erased_is_503_and_records_it_anew_after(
    world: World,
) -> None:
    body = with_id()
    world.resolver.record_event(body, caller=ANYONE)
    mark = world.metadata.mark_erasing
    refused: list[EventBeingErased] = []

    def mark_then_write(user_id: str, event_ids: Sequence[str], *, at: Any) -> ErasureMark:
        marked = mark(user_id, event_ids, at=at)
        with pytest.raises(EventBeingErased) as write:
            world.resolver.record_event(body, caller=ANYONE)
        refused.append(write.value)
        return marked

    world.metadata.mark_erasing = mark_then_write  # type: ignore[method-assign]
    world.resolver.delete_event(body["userId"], body["eventId"], caller=ANYONE)
    assert [(error.store, str(error)) for error in refused] == [
        ("metadata", f"Event {body['eventId']} is being erased; retry the same request later.")
    ]
    assert world.visible(body["userId"]) == []
    assert world.resolver.record_event(body, caller=ANYONE).created
    assert world.visible(body["userId"]) == [body["eventId"]]


def test_details_that_keep_changing_end_the_erasure_with_503_after_three_rounds(
    world: World,
) -> None:
    """Each round of deletes finds the item claimed again (writes racing the erasure): the
    erasure gives up with 503 after three, leaving the row marked for the same call later."""
    body = with_id()
    world.resolver.record_event(body, caller=ANYONE)
    delete = world.details.delete_unchanged
    same_content = world.details.items[body["eventId"]]["hash"]
    rounds: list[int] = []

    def claimed_before_each(versions: Sequence[ItemVersion], **options: Any) -> list[str]:
        rounds.append(len(versions))
        racer = f"racer-{len(rounds)}"
        world.details.claim(body["eventId"], body["userId"], {}, same_content, racer)
        return delete(versions, **options)

    world.details.delete_unchanged = claimed_before_each  # type: ignore[method-assign]
    with pytest.raises(StoreUnavailable):
        world.resolver.delete_event(body["userId"], body["eventId"], caller=ANYONE)
    assert rounds == [1, 1, 1]
    assert isinstance(world.metadata.rows[body["eventId"]], Erasing)
    world.details.delete_unchanged = delete  # type: ignore[method-assign]
    world.resolver.delete_event(body["userId"], body["eventId"], caller=ANYONE)
    assert world.details.items == {}


def test_a_store_down_before_the_mark_erases_nothing(world: World) -> None:
    body = with_id()
    world.resolver.record_event(body, caller=ANYONE)
    world.details.down = True
    with pytest.raises(StoreUnavailable):
        world.resolver.delete_event(body["userId"], body["eventId"], caller=ANYONE)
    world.details.down = False
    assert world.visible(body["userId"]) == [body["eventId"]]


def test_fences_older_than_the_grace_period_go_with_a_later_erasure(world: World) -> None:
    early, late = with_id(), with_id()
    for body in (early, late):
        world.resolver.record_event(body, caller=ANYONE)
    world.resolver.delete_event(early["userId"], early["eventId"], caller=ANYONE)
    world.metadata.made[early["eventId"]] -= timedelta(seconds=901)
    world.resolver.delete_event(late["userId"], late["eventId"], caller=ANYONE)
    assert list(world.metadata.rows) == [late["eventId"]]
    assert isinstance(world.metadata.rows[late["eventId"]], Fence)


@pytest.mark.parametrize(
    ("caller", "allowed"),
    [
        (Caller(subject="user-42"), True),
        (Caller(subject="user-7"), False),
        (Caller(subject="user-7", scopes=frozenset({"events:delete"})), True),
        (Caller(subject="user-7", scopes=frozenset({"events:write", "events:read"})), False),
    ],
)
def test_only_the_user_or_a_token_with_events_delete_may_erase(
    world: World, caller: Caller, allowed: bool
) -> None:
    one, two = with_id(userId="user-42"), with_id(userId="user-42")
    for body in (one, two):
        world.resolver.record_event(body, caller=ANYONE)
    world.calls.clear()
    erase = [
        lambda: world.resolver.delete_event("user-42", one["eventId"], caller=caller),
        lambda: world.resolver.erase_user("user-42", {}, caller=caller),
    ]
    for attempt in erase:
        if allowed:
            attempt()
        else:
            with pytest.raises(Forbidden):
                attempt()
    if allowed:
        assert world.visible("user-42") == []
    else:
        assert world.calls == []  # refused before any store is asked
        assert len(world.metadata.events()) == 2
