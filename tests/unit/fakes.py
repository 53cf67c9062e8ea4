"""In-memory stores keeping the protocols' promises, with switches to make them fail, and a
resolver over them (`World`)."""

import os
import uuid
from collections.abc import Iterator, Sequence
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

from persistence.protocols import (
    Claim,
    ClaimResult,
    DetailsClaimedByOther,
    DuplicateEventId,
    Erasing,
    ErasureMark,
    EventRecord,
    Fence,
    ItemVersion,
    PageRequest,
    ScanPage,
    StoredRow,
)
from resolvers import EventResolver
from schema.access import Caller
from schema.errors import StoreUnavailable
from schema.events import EventListQuery
from schema.limits import Limits
from tests.factories import make_event


class FakeMetadataStore:
    """Rows in any state (`StoredRow`), and when each row being erased or fence was made."""

    def __init__(self, calls: list[str]) -> None:
        self.rows: dict[str, StoredRow] = {}
        self.made: dict[str, datetime] = {}
        self.calls = calls
        self.fail_inserts = 0
        self.in_doubt = False
        self.down = False
        self.before_insert: list[EventRecord] = []  # rows another request commits first

    def events(self) -> dict[str, EventRecord]:
        return {key: row for key, row in self.rows.items() if isinstance(row, EventRecord)}

    def get(self, event_id: str) -> EventRecord | None:
        self._check()
        return self.events().get(event_id)

    def get_many(self, event_ids: Sequence[str]) -> dict[str, StoredRow]:
        self._check()
        return {key: self.rows[key] for key in event_ids if key in self.rows}

    def insert(self, record: EventRecord) -> None:
        self.insert_many([record])

    def insert_many(
        self, records: Sequence[EventRecord], *, replacing: Sequence[Fence] = ()
    ) -> None:
        """One transaction: every row, or none."""
        self.calls.append("metadata.insert")
        self._check()
        for row in self.before_insert:
            self.rows[row.event_id] = row
        self.before_insert = []
        if self.fail_inserts:
            self.fail_inserts -= 1
            raise StoreUnavailable("metadata", in_doubt=self.in_doubt)
        if any(self.rows.get(fence.event_id) != fence for fence in replacing):
            raise DuplicateEventId
        gone = {fence.event_id for fence in replacing}
        if any(record.event_id in self.rows and record.event_id not in gone for record in records):
            raise DuplicateEventId
        self.rows.update((record.event_id, record) for record in records)

    def user_event_ids(
        self, user_id: str, limit: int, *, among: Sequence[str] | None = None
    ) -> list[str]:
        self._check()
        erasing = [
            key
            for key, row in self.rows.items()
            if isinstance(row, Erasing) and row.owner == owner_of(user_id)
        ]
        request = PageRequest(user_id=user_id, limit=len(self.rows) + 1)
        events = [row.event_id for row in self.list_page(request, record=False)]
        found = [key for key in [*erasing, *events] if among is None or key in among]
        return found[:limit]

    def mark_erasing(self, user_id: str, event_ids: Sequence[str], *, at: datetime) -> ErasureMark:
        self.calls.append("metadata.mark")
        self._check()
        owner = owner_of(user_id)
        return self._mark(event_ids, owner, at, lambda row: _is(row, user_id, owner))

    def take_over(self, owner: str, event_ids: Sequence[str], *, at: datetime) -> ErasureMark:
        self.calls.append("metadata.mark")
        self._check()
        return self._mark(event_ids, owner, at, lambda row: _is(row, None, owner))

    def _mark(self, event_ids: Sequence[str], owner: str, at: datetime, ours: Any) -> ErasureMark:
        nonce = os.urandom(4).hex()
        marked = tuple(key for key in event_ids if ours(self.rows.get(key)))
        for key in marked:
            self.rows[key] = Erasing(key, owner, nonce)
            self.made[key] = at
        return ErasureMark(owner, nonce, marked)

    def still_marked(self, mark: ErasureMark, event_ids: Sequence[str]) -> set[str]:
        self.calls.append("metadata.still_marked")
        self._check()
        return {
            key for key in event_ids if self.rows.get(key) == Erasing(key, mark.owner, mark.nonce)
        }

    def fence(
        self,
        mark: ErasureMark,
        event_ids: Sequence[str],
        *,
        at: datetime,
        purge_before: datetime,
    ) -> int:
        self.calls.append("metadata.fence")
        self._check()
        fenced = self.still_marked(mark, event_ids)
        self.calls.pop()
        for key in fenced:
            self.rows[key] = Fence(key, mark.nonce)
            self.made[key] = at
        self._purge(purge_before, 1000)
        return len(fenced)

    def abandoned_erasures(self, before: datetime, limit: int) -> list[Erasing]:
        self._check()
        old = [
            row
            for key, row in self.rows.items()
            if isinstance(row, Erasing) and self.made[key] < before
        ]
        return old[:limit]

    def purge_fences(self, before: datetime, limit: int) -> int:
        self._check()
        return self._purge(before, limit)

    def erasures_pending(self) -> int:
        self._check()
        return sum(isinstance(row, Erasing) for row in self.rows.values())

    def _purge(self, before: datetime, limit: int) -> int:
        old = [
            key
            for key, row in self.rows.items()
            if isinstance(row, Fence) and self.made[key] < before
        ]
        for key in old[:limit]:
            del self.rows[key]
        return len(old[:limit])

    def event_ids_after(self, after: str | None, limit: int) -> list[str]:
        self._check()
        return sorted(key for key in self.events() if after is None or key > after)[:limit]

    def received_before(self, before: datetime, limit: int) -> list[tuple[str, str]]:
        self._check()
        old = sorted(
            (row for row in self.events().values() if row.received_at < before),
            key=lambda row: row.received_at,
        )
        return [(row.user_id, row.event_id) for row in old[:limit]]

    def list_page(self, request: PageRequest, *, record: bool = True) -> list[EventRecord]:
        if record:
            self.calls.append("metadata.list_page")
        self._check()
        rows = [row for row in self.events().values() if row.user_id == request.user_id]
        rows.sort(key=lambda row: row.event_id)
        rows.sort(key=lambda row: row.timestamp, reverse=True)
        if request.after is not None:
            after = request.after
            rows = [
                row
                for row in rows
                if row.timestamp < after.timestamp
                or (row.timestamp == after.timestamp and row.event_id > after.event_id)
            ]
        return rows[: request.limit]

    def ping(self) -> None:
        self._check()

    def _check(self) -> None:
        if self.down:
            raise StoreUnavailable("metadata")


def owner_of(user_id: str) -> str:
    """The fake's pseudonym of a user whose rows are being erased."""
    return f"erasing:{user_id}"


def _is(row: StoredRow | None, user_id: str | None, owner: str) -> bool:
    """Whether `row` is the user's event, or one of theirs being erased."""
    if isinstance(row, EventRecord):
        return row.user_id == user_id
    return isinstance(row, Erasing) and row.owner == owner


class FakeDetailStore:
    def __init__(self, calls: list[str]) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.calls = calls
        self.down = False
        self.clock_ms = 0
        self.fail_claims_after: int | None = None  # claims that succeed before the store fails

    def claim(
        self,
        event_id: str,
        user_id: str,
        details: dict[str, Any],
        content_hash: str,
        writer_id: str,
    ) -> None:
        self.calls.append("details.claim")
        self._check()
        item = self.items.get(event_id)
        if item is None:
            self.items[event_id] = {
                "details": details,
                "hash": content_hash,
                "writers": {writer_id},
                "token": writer_id,
                "claimed_ms": self.clock_ms,
            }
        elif item["hash"] == content_hash:
            item["writers"].add(writer_id)
            item["token"], item["claimed_ms"] = writer_id, self.clock_ms
        else:
            raise DetailsClaimedByOther(event_id)

    def claim_many(self, claims: Sequence[Claim]) -> list[ClaimResult]:
        results: list[ClaimResult] = []
        for claim in claims:
            if self.fail_claims_after is not None and self.fail_claims_after <= 0:
                results.append("unavailable")
                continue
            if self.fail_claims_after is not None:
                self.fail_claims_after -= 1
            try:
                self.claim(
                    claim.event_id,
                    claim.user_id,
                    claim.details,
                    claim.content_hash,
                    claim.writer_id,
                )
                results.append("claimed")
            except DetailsClaimedByOther:
                results.append("conflict")
            except StoreUnavailable:
                results.append("unavailable")
        return results

    def release_many(self, claims: Sequence[Claim]) -> None:
        for claim in claims:
            with suppress(StoreUnavailable):
                self.release(claim.event_id, claim.writer_id)

    def release(self, event_id: str, writer_id: str) -> None:
        self.calls.append("details.release")
        self._check()
        item = self.items.get(event_id)
        if item is None or writer_id not in item["writers"]:
            return
        item["writers"].discard(writer_id)
        if not item["writers"]:
            del self.items[event_id]

    def get_many(self, event_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        self.calls.append("details.get_many")
        self._check()
        return {key: self.items[key]["details"] for key in event_ids if key in self.items}

    def versions(self, event_ids: Sequence[str]) -> dict[str, ItemVersion]:
        self.calls.append("details.versions")
        self._check()
        return {key: self._version(key) for key in event_ids if key in self.items}

    def delete_unchanged(
        self, versions: Sequence[ItemVersion], *, before_ms: int | None = None
    ) -> list[str]:
        self.calls.append("details.delete")
        self._check()
        kept: list[str] = []
        for version in versions:
            current = self._version(version.event_id) if version.event_id in self.items else None
            if not version.exists:
                if current is not None:
                    kept.append(version.event_id)
                continue
            old_enough = before_ms is None or (current and (current.last_claim_ms or 0) < before_ms)
            if current is not None and current.claim_token == version.claim_token and old_enough:
                del self.items[version.event_id]
            else:
                kept.append(version.event_id)
        return kept

    def scan(self, segment: int, segments: int, *, after: str | None = None) -> Iterator[ScanPage]:
        self._check()
        keys = [key for key in sorted(self.items) if after is None or key > after]
        yield ScanPage([self._version(key) for key in keys[segment::segments]], None)

    def _version(self, event_id: str) -> ItemVersion:
        item = self.items[event_id]
        return ItemVersion(event_id, item["token"], item["claimed_ms"])

    def ping(self) -> None:
        self._check()

    def _check(self) -> None:
        if self.down:
            raise StoreUnavailable("details")


NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
# The protocol's tests call as anyone; who may call is tests/unit/test_access.py's subject.
ANYONE = Caller.anyone()


class World:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.metadata = FakeMetadataStore(self.calls)
        self.details = FakeDetailStore(self.calls)
        self.resolver = EventResolver(
            self.metadata, self.details, limits=Limits(), cursor_secret=b"k" * 32, clock=lambda: NOW
        )

    def visible(self, user_id: str) -> list[str]:
        page = self.resolver.list_events(user_id, EventListQuery(limit=1000), caller=ANYONE)
        return [str(event.event_id) for event in page.events]


def with_id(**overrides: Any) -> dict[str, Any]:
    return make_event(eventId=str(uuid.uuid4()), **overrides)
