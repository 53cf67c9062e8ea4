"""The SQL store's erasure states on SQLite, as a property: any sequence of events recorded,
rows marked, taken over and fenced, fences replaced and purged, for users at the extremes of the
userId rule, leaves every read answering exactly what a plain model of the states says. Rows
being erased and fences are never read as events; a user's erasure finds their marked rows
first; a fence is replaced only by a write that names it."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import delete
from sqlalchemy.engine import Engine

from persistence.metadata import EVENTS_TABLE, SqlMetadataStore, erasing_owner
from persistence.protocols import (
    DuplicateEventId,
    Erasing,
    ErasureMark,
    EventRecord,
    Fence,
    PageRequest,
    StoredRow,
)

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
# The shortest and longest userIds of the lowest and highest characters, and two that differ
# only in case.
USERS = ["+", "|" * 128, "user-42", "USER-42"]


@dataclass
class Marked:
    owner: str
    nonce: str
    at: datetime


class ErasureStates(RuleBasedStateMachine):
    marks = Bundle("marks")

    def __init__(self, store: SqlMetadataStore, engine: Engine) -> None:
        super().__init__()
        self.store = store
        with engine.begin() as connection:
            connection.execute(delete(EVENTS_TABLE))
        self.rows: dict[str, EventRecord | Marked | Fence] = {}
        self.fence_times: dict[str, datetime] = {}
        self.now = T0

    def tick(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now

    @rule(user=st.sampled_from(USERS), age=st.integers(0, 3))
    def record(self, user: str, age: int) -> None:
        # Events of the same time tie: their order is by eventId.
        row = EventRecord(str(uuid.uuid4()), user, "view", T0 - timedelta(hours=age), T0, "h" * 64)
        self.store.insert(row)
        self.rows[row.event_id] = row

    @rule(target=marks, user=st.sampled_from(USERS), data=st.data())
    def mark(self, user: str, data: st.DataObject) -> ErasureMark:
        picked = data.draw(st.lists(st.sampled_from([*self.rows, "absent"]), unique=True))
        owner = erasing_owner(user)
        expected = {key for key in picked if self._users(key, user, owner)}
        at = self.tick()
        mark = self.store.mark_erasing(user, picked, at=at)
        assert (mark.owner, set(mark.event_ids)) == (owner, expected)
        self.rows |= {key: Marked(owner, mark.nonce, at) for key in expected}
        return mark

    @rule(target=marks, user=st.sampled_from(USERS), data=st.data())
    def take_over(self, user: str, data: st.DataObject) -> ErasureMark:
        owner = erasing_owner(user)
        picked = data.draw(st.lists(st.sampled_from([*self.rows, "absent"]), unique=True))
        expected = {key for key in picked if self._users(key, None, owner)}
        at = self.tick()
        mark = self.store.take_over(owner, picked, at=at)
        assert set(mark.event_ids) == expected
        self.rows |= {key: Marked(owner, mark.nonce, at) for key in expected}
        return mark

    @rule(mark=consumes(marks), data=st.data(), keep=st.integers(0, 3))
    def fence(self, mark: ErasureMark, data: st.DataObject, keep: int) -> None:
        picked = data.draw(st.lists(st.sampled_from([*mark.event_ids, "absent"]), unique=True))
        held = [key for key in picked if self._marked_by(key, mark)]
        assert self.store.still_marked(mark, picked) == set(held)
        at = self.tick()
        purge_before = at - timedelta(seconds=keep)
        assert self.store.fence(mark, picked, at=at, purge_before=purge_before) == len(held)
        for key in held:
            self.rows[key] = Fence(key, mark.nonce)
            self.fence_times[key] = at
        self._purged(purge_before)

    @rule(data=st.data(), right=st.booleans())
    def replace_a_fence(self, data: st.DataObject, right: bool) -> None:
        fences = [row for row in self.rows.values() if isinstance(row, Fence)]
        if not fences:
            return
        fence = data.draw(st.sampled_from(fences))
        named = fence if right else Fence(fence.event_id, "another")
        row = EventRecord(fence.event_id, "user-42", "view", T0, T0, "a" * 64)
        if right:
            self.store.insert_many([row], replacing=[named])
            self.rows[row.event_id] = row
            del self.fence_times[row.event_id]
        else:
            try:
                self.store.insert_many([row], replacing=[named])
            except DuplicateEventId:
                return
            raise AssertionError("a fence was replaced by a write that did not name it")

    @rule(keep=st.integers(0, 5), limit=st.integers(1, 3))
    def purge(self, keep: int, limit: int) -> None:
        before = self.now - timedelta(seconds=keep)
        old = [key for key, at in self.fence_times.items() if at < before]
        assert self.store.purge_fences(before, limit) == min(limit, len(old))
        left = [key for key in old if key in self.store.get_many(old)]
        for key in set(old) - set(left):
            del self.rows[key], self.fence_times[key]

    @invariant()
    def reads_answer_what_the_states_say(self) -> None:
        for user in USERS:
            events = sorted(self._events(user), key=lambda row: row.event_id)
            events.sort(key=lambda row: row.timestamp, reverse=True)
            assert self.store.list_page(PageRequest(user, 1000)) == events
            marked = [
                (row.at, key)
                for key, row in self.rows.items()
                if isinstance(row, Marked) and row.owner == erasing_owner(user)
            ]
            marked.sort(key=lambda pair: pair[1])
            marked.sort(key=lambda pair: pair[0], reverse=True)
            expected = [key for _, key in marked] + [row.event_id for row in events]
            assert self.store.user_event_ids(user, 1000) == expected
        assert self.store.get_many(list(self.rows)) == {
            key: self._stored(key, row) for key, row in self.rows.items()
        }
        live = sorted(key for key, row in self.rows.items() if isinstance(row, EventRecord))
        assert self.store.event_ids_after(None, 1000) == live
        assert [self.store.get(key) for key in self.rows] == [
            row if isinstance(row, EventRecord) else None for row in self.rows.values()
        ]
        abandoned = self.store.abandoned_erasures(self.now + timedelta(seconds=1), 1000)
        assert sorted(abandoned, key=lambda row: row.event_id) == sorted(
            (self._stored(key, row) for key, row in self.rows.items() if isinstance(row, Marked)),
            key=lambda row: row.event_id,
        )

    def _marked_by(self, key: str, mark: ErasureMark) -> bool:
        row = self.rows.get(key)
        return isinstance(row, Marked) and (row.owner, row.nonce) == (mark.owner, mark.nonce)

    def _users(self, key: str, user: str | None, owner: str) -> bool:
        row = self.rows.get(key)
        if isinstance(row, EventRecord):
            return row.user_id == user
        return isinstance(row, Marked) and row.owner == owner

    def _events(self, user: str) -> list[EventRecord]:
        return [
            row
            for row in self.rows.values()
            if isinstance(row, EventRecord) and row.user_id == user
        ]

    def _stored(self, key: str, row: EventRecord | Marked | Fence) -> StoredRow:
        return Erasing(key, row.owner, row.nonce) if isinstance(row, Marked) else row

    def _purged(self, before: datetime) -> None:
        old = sorted(key for key, at in self.fence_times.items() if at < before)
        gone = set(old) - set(self.store.get_many(old))
        assert len(gone) == min(len(old), 1000)
        for key in gone:
            del self.rows[key], self.fence_times[key]


def test_reads_answer_what_the_erasure_states_say_after_any_sequence(
    metadata_store: SqlMetadataStore, engine: Engine
) -> None:
    run_state_machine_as_test(
        # hypothesis runs any factory of a machine; its stub names the class only.
        lambda: ErasureStates(metadata_store, engine),  # type: ignore[arg-type]
        settings=settings(max_examples=40, stateful_step_count=12),
    )
