"""Erasure cut at every step, against SQLite and each DynamoDB emulator (moto, dynalite): the
process killed before a store call or after it (the store acted, nobody saw the answer), or a
store refusing the call or failing after acting. Whatever happened, no read shows half an event
at any step, and the same request repeated until it answers 2xx leaves nothing of the user in
either store."""

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from persistence.details import DynamoDetailStore
from persistence.metadata import EVENTS_TABLE, SqlMetadataStore, erasing_owner
from resolvers import EventResolver
from schema.access import Caller
from schema.errors import EventNotFound, StoreUnavailable
from schema.events import EventListQuery
from schema.limits import Limits
from tests.factories import make_event

ANYONE = Caller.anyone()
# A user's erasure of n events when nothing races: SELECT; BatchGetItem; the mark; DeleteItem
# (16 at a time, one call of the store); the fences.
USER_ERASURE = (
    "metadata.user_event_ids",
    "details.versions",
    "metadata.mark_erasing",
    "details.delete_unchanged",
    "metadata.fence",
)
FAULTS = ("dies before", "dies after", "refused", "fails after acting")


class Crash(BaseException):
    """The process dies: no handler of ours runs (not an Exception)."""


class Faulty:
    """The real stores; the `at`-th protocol call made through them meets `fault`, and `check`
    runs before every call (a reader between two steps)."""

    def __init__(self, metadata: Any, details: Any, at: int, fault: str, check: Callable[[], None]):
        self.calls: list[str] = []
        self.metadata = _Wrapped(self, "metadata", metadata)
        self.details = _Wrapped(self, "details", details)
        self.at, self.fault, self.check = at, fault, check

    def call(self, name: str, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        self.check()
        self.calls.append(name)
        if len(self.calls) != self.at:
            return method(*args, **kwargs)
        store = name.partition(".")[0]
        if self.fault == "dies before":
            raise Crash
        if self.fault == "refused":
            raise StoreUnavailable(store)  # type: ignore[arg-type]
        method(*args, **kwargs)
        if self.fault == "dies after":
            raise Crash
        raise StoreUnavailable(store, in_doubt=True)  # type: ignore[arg-type]


class _Wrapped:
    def __init__(self, faulty: Faulty, name: str, store: Any) -> None:
        self._faulty, self._name, self._store = faulty, name, store

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._store, name)
        return lambda *args, **kwargs: self._faulty.call(
            f"{self._name}.{name}", method, *args, **kwargs
        )


@pytest.fixture
def metadata(engine: Engine) -> SqlMetadataStore:
    return SqlMetadataStore(engine)


@pytest.fixture
def details(client: Any, details_table: str) -> DynamoDetailStore:
    return DynamoDetailStore(details_table, client)


def resolver(metadata: Any, details: Any) -> EventResolver:
    return EventResolver(metadata, details, limits=Limits(), cursor_secret=b"k" * 32)


def record(api: EventResolver, user: str, count: int) -> dict[str, dict[str, Any]]:
    events = [
        make_event(userId=user, eventId=str(uuid.uuid4()), details={"n": n, "who": user})
        for n in range(count)
    ]
    api.record_events({"events": events}, caller=ANYONE)
    return {event["eventId"]: event for event in events}


def whole_or_nothing(api: EventResolver, events: dict[str, dict[str, Any]]) -> Callable[[], None]:
    """A reader of the user's events: each one it is shown, by a listing or by its id, is the
    whole event; one it is not shown answers 404."""

    def check() -> None:
        user = next(iter(events.values()))["userId"]
        page = api.list_events(user, EventListQuery(limit=1000), caller=ANYONE)
        listed = {str(event.event_id): event.details for event in page.events}
        for event_id, event in events.items():
            try:
                shown = api.get_event(user, event_id, caller=ANYONE).details
            except EventNotFound:
                shown = None
            assert shown in (None, event["details"])
            assert listed.get(event_id) in (None, event["details"])

    return check


def nothing_of(engine: Engine, details: DynamoDetailStore, user: str, event_ids: list[str]) -> None:
    """Neither store holds anything of the user: no row names them or their pseudonym, no
    details item of their events."""
    row = EVENTS_TABLE.c
    with engine.connect() as connection:
        named = connection.execute(
            select(row.event_id).where(row.user_id.in_([user, erasing_owner(user)]))
        ).all()
    assert named == []
    assert details.versions(event_ids) == {}


def erase_until_done(api: EventResolver, user: str) -> list[dict[str, Any]]:
    """DELETE /events/{user} repeated until it answers 2xx with nothing more (at most 5)."""
    answers = []
    for _ in range(5):
        erasure = api.erase_user(user, {}, caller=ANYONE)
        answers.append({"deleted": erasure.deleted, "more": erasure.more})
        if not erasure.more:
            return answers
    raise AssertionError(f"still more after {answers}")


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("at", range(1, len(USER_ERASURE) + 1), ids=USER_ERASURE)
def test_a_users_erasure_cut_at_any_step_is_finished_by_its_repeat(
    engine: Engine,
    metadata: SqlMetadataStore,
    details: DynamoDetailStore,
    at: int,
    fault: str,
) -> None:
    api = resolver(metadata, details)
    user, bystander = f"victim-{uuid.uuid4().hex[:8]}", f"other-{uuid.uuid4().hex[:8]}"
    events = record(api, user, 3)
    kept = record(api, bystander, 1)
    check = whole_or_nothing(api, events)
    faulty = Faulty(metadata, details, at, fault, check)
    with pytest.raises((Crash, StoreUnavailable)):
        resolver(faulty.metadata, faulty.details).erase_user(user, {}, caller=ANYONE)
    assert faulty.calls == list(USER_ERASURE[:at])
    check()
    answers = erase_until_done(api, user)
    # The repeat erases what the cut call had not fenced: all of it, unless it fenced them.
    fenced_already = at == len(USER_ERASURE) and fault in ("dies after", "fails after acting")
    assert answers == [{"deleted": 0 if fenced_already else 3, "more": False}]
    nothing_of(engine, details, user, list(events))
    (event,) = kept.values()
    assert api.get_event(bystander, event["eventId"], caller=ANYONE).details == event["details"]


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("at", range(1, len(USER_ERASURE) + 1), ids=USER_ERASURE)
def test_an_events_erasure_cut_at_any_step_is_finished_by_its_repeat(
    engine: Engine,
    metadata: SqlMetadataStore,
    details: DynamoDetailStore,
    at: int,
    fault: str,
) -> None:
    api = resolver(metadata, details)
    user = f"victim-{uuid.uuid4().hex[:8]}"
    events = record(api, user, 2)
    erased, kept = list(events)
    check = whole_or_nothing(api, events)
    faulty = Faulty(metadata, details, at, fault, check)
    with pytest.raises((Crash, StoreUnavailable)):
        resolver(faulty.metadata, faulty.details).delete_event(user, erased, caller=ANYONE)
    check()
    fenced_already = at == len(USER_ERASURE) and fault in ("dies after", "fails after acting")
    if fenced_already:
        with pytest.raises(EventNotFound):  # erased already: a repeat is 404
            api.delete_event(user, erased, caller=ANYONE)
    else:
        api.delete_event(user, erased, caller=ANYONE)  # 204
    with pytest.raises(EventNotFound):
        api.get_event(user, erased, caller=ANYONE)
    assert details.versions([erased]) == {}
    assert api.get_event(user, kept, caller=ANYONE).details == events[kept]["details"]
    assert [
        str(e.event_id) for e in api.list_events(user, EventListQuery(), caller=ANYONE).events
    ] == [kept]


def test_no_read_shows_half_an_event_at_any_step_of_an_erasure(
    engine: Engine, metadata: SqlMetadataStore, details: DynamoDetailStore
) -> None:
    api = resolver(metadata, details)
    user = f"victim-{uuid.uuid4().hex[:8]}"
    events = record(api, user, 3)
    seen: list[int] = []
    check = whole_or_nothing(api, events)

    def counting() -> None:
        check()
        page = api.list_events(user, EventListQuery(limit=1000), caller=ANYONE)
        seen.append(len(page.events))

    faulty = Faulty(metadata, details, 0, "none", counting)
    erasure = resolver(faulty.metadata, faulty.details).erase_user(user, {}, caller=ANYONE)
    assert (erasure.deleted, erasure.more) == (3, False)
    counting()
    # Visible until the mark commits, invisible from then on: never a part of an event.
    assert seen == [3, 3, 3, 0, 0, 0]
    nothing_of(engine, details, user, list(events))
