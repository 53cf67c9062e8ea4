"""Erasure through the resolver layer, against fake stores: rows first, then the details that
nothing claimed since; bounded per call; who may erase."""

import pytest

from schema.access import Caller
from schema.errors import EventNotFound, Forbidden, InvalidInput, StoreUnavailable
from tests.unit.fakes import ANYONE, World, with_id


def test_erasing_an_event_deletes_its_row_before_its_details_and_it_is_gone(world: World) -> None:
    body = with_id()
    world.resolver.record_event(body, caller=ANYONE)
    world.calls.clear()
    world.resolver.delete_event(body["userId"], body["eventId"], caller=ANYONE)
    assert world.calls == ["details.versions", "metadata.delete", "details.delete"]
    assert world.metadata.rows == {} and world.details.items == {}
    with pytest.raises(EventNotFound):
        world.resolver.get_event(body["userId"], body["eventId"], caller=ANYONE)
    with pytest.raises(EventNotFound):
        world.resolver.delete_event(body["userId"], body["eventId"], caller=ANYONE)


def test_another_users_event_is_not_found_under_ones_own_path(world: World) -> None:
    body = with_id()
    world.resolver.record_event(body, caller=ANYONE)
    with pytest.raises(EventNotFound):
        world.resolver.delete_event("someone-else", body["eventId"], caller=ANYONE)
    assert body["eventId"] in world.metadata.rows


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


@pytest.mark.parametrize(
    "limit", [["0"], ["1001"], ["x"], ["-1"], ["1", "2"], ["\uff11"]]
)  # the last: a fullwidth 1
def test_a_bad_limit_is_refused_and_erases_nothing(world: World, limit: list[str]) -> None:
    body = with_id()
    world.resolver.record_event(body, caller=ANYONE)
    with pytest.raises(InvalidInput) as refused:
        world.resolver.erase_user(body["userId"], {"limit": limit}, caller=ANYONE)
    assert [error.field for error in refused.value.errors] == ["limit"]
    assert body["eventId"] in world.metadata.rows


def test_a_client_recording_an_event_again_while_it_is_erased_keeps_its_details(
    world: World,
) -> None:
    """The row goes, a retry of the event's POST records it anew (its details item is still
    there: the claim adopts it), and only then the erasure reaches DynamoDB: the item is kept,
    because a claim came after the erasure read it."""
    body = with_id()
    world.resolver.record_event(body, caller=ANYONE)
    delete_rows = world.metadata.delete

    def delete_then_record_again(user_id: str, event_ids: object) -> int:
        deleted = delete_rows(user_id, event_ids)  # type: ignore[arg-type]
        assert world.resolver.record_event(body, caller=ANYONE).created
        return deleted

    world.metadata.delete = delete_then_record_again  # type: ignore[method-assign]
    world.resolver.delete_event(body["userId"], body["eventId"], caller=ANYONE)
    assert world.visible(body["userId"]) == [body["eventId"]]
    assert body["eventId"] in world.details.items


def test_details_the_erasure_could_not_delete_are_left_invisible(world: World) -> None:
    body = with_id()
    world.resolver.record_event(body, caller=ANYONE)
    delete_rows = world.metadata.delete

    def delete_then_lose_dynamodb(user_id: str, event_ids: object) -> int:
        deleted = delete_rows(user_id, event_ids)  # type: ignore[arg-type]
        world.details.down = True
        return deleted

    world.metadata.delete = delete_then_lose_dynamodb  # type: ignore[method-assign]
    world.resolver.delete_event(body["userId"], body["eventId"], caller=ANYONE)
    world.details.down = False
    assert world.metadata.rows == {}
    assert list(world.details.items) == [body["eventId"]]  # for the reconcile job
    assert world.visible(body["userId"]) == []


def test_a_store_down_before_the_rows_went_erases_nothing(world: World) -> None:
    body = with_id()
    world.resolver.record_event(body, caller=ANYONE)
    world.details.down = True
    with pytest.raises(StoreUnavailable):
        world.resolver.delete_event(body["userId"], body["eventId"], caller=ANYONE)
    world.details.down = False
    assert world.visible(body["userId"]) == [body["eventId"]]


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
        assert len(world.metadata.rows) == 2
