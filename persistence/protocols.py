"""What the resolver needs from each store, and the store-level signals it reacts to.

The resolver depends on these protocols only, so its write protocol can be tested with fakes and
any store that keeps these promises (SQLite, SQL Server, DynamoDB, DynamoDB Local) can sit behind.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from schema.cursor import CursorPosition


@dataclass(frozen=True)
class EventRecord:
    """An event's metadata row: what SQL holds and lists."""

    event_id: str
    user_id: str
    event_type: str
    timestamp: datetime
    received_at: datetime
    content_hash: str


@dataclass(frozen=True)
class Erasing:
    """A row an erasure call has marked: invisible to every read. It keeps nothing of the event
    but its eventId; `owner` is the pseudonym of its user by which that user's next erasure call
    finds it, and `nonce` names the call that marked it last."""

    event_id: str
    owner: str
    nonce: str


@dataclass(frozen=True)
class Fence:
    """What an erased event leaves in SQL for the grace period: its eventId taken, so that a
    write whose claim came before the erasure deleted the details cannot record the event
    without them. `nonce` tells this fence from a later one of the same eventId."""

    event_id: str
    nonce: str


# A metadata row in any of its states: an event, a row being erased, a fence.
StoredRow = EventRecord | Erasing | Fence


@dataclass(frozen=True)
class ErasureMark:
    """The rows one erasure call marked: `event_ids`, all under `owner` with `nonce`."""

    owner: str
    nonce: str
    event_ids: tuple[str, ...]


@dataclass(frozen=True)
class PageRequest:
    """One keyset page of a user's timeline, newest first, ties by ascending eventId."""

    user_id: str
    limit: int
    event_types: tuple[str, ...] = ()  # any of these; empty: every type
    start: datetime | None = None
    end: datetime | None = None
    after: CursorPosition | None = None


@dataclass(frozen=True)
class Claim:
    """One write attempt's claim on an event's details item."""

    event_id: str
    user_id: str
    details: dict[str, Any]
    content_hash: str
    writer_id: str


# What became of one claim of a batch: made, refused (other content), refused by the store
# (throttled, an error answered: not made), sent but not answered (a timeout, a connection lost:
# it may have been made), or not started (the deadline passed before its turn came).
ClaimResult = Literal["claimed", "conflict", "unavailable", "unanswered", "not_started"]


@dataclass(frozen=True)
class ItemVersion:
    """What identifies a details item's current state: the last claim made on it (`None` for an
    item no claim of this version of the protocol touched), and when that was (epoch ms)."""

    event_id: str
    claim_token: str | None
    last_claim_ms: int | None
    exists: bool = True

    @classmethod
    def absent(cls, event_id: str) -> "ItemVersion":
        """The version of an item that does not exist."""
        return cls(event_id, None, None, exists=False)


@dataclass(frozen=True)
class ScanPage:
    """One page of a scan segment: its items' versions, and the eventId the segment resumes
    after (`None` once the segment is finished)."""

    items: list[ItemVersion]
    resume_after: str | None


class DuplicateEventId(Exception):
    """A metadata row already exists (another request committed it first)."""


class DetailsClaimedByOther(Exception):
    """A details item exists for this eventId with different content."""


class MetadataStore(Protocol):
    def get(self, event_id: str) -> EventRecord | None:
        """The event, if its row is one (not being erased, not a fence)."""
        ...

    def get_many(self, event_ids: Sequence[str]) -> dict[str, StoredRow]:
        """The rows of those of `event_ids` that have one, in whatever state, by eventId (one
        query per 1,000 ids)."""
        ...

    def insert_many(
        self, records: Sequence[EventRecord], *, replacing: Sequence[Fence] = ()
    ) -> None:
        """Commit every row in one transaction, or none, deleting each fence of `replacing`
        first; raise `DuplicateEventId` when a row exists or a fence is not the one given, or
        `StoreUnavailable` (`in_doubt` when the commit itself failed and the rows may exist)."""
        ...

    def list_page(self, request: PageRequest) -> list[EventRecord]: ...

    def user_event_ids(
        self, user_id: str, limit: int, *, among: Sequence[str] | None = None
    ) -> list[str]:
        """Up to `limit` of the user's eventIds (among `among`, if given): the rows being erased
        first, then the events, newest first."""
        ...

    def mark_erasing(self, user_id: str, event_ids: Sequence[str], *, at: datetime) -> ErasureMark:
        """In one transaction, mark the user's rows among `event_ids` (events, and rows being
        erased by another call) as being erased by this call, at `at`. Raises
        `StoreUnavailable` (`in_doubt` when the commit itself failed)."""
        ...

    def take_over(self, owner: str, event_ids: Sequence[str], *, at: datetime) -> ErasureMark:
        """As `mark_erasing`, for rows being erased under `owner` (the reconcile job's)."""
        ...

    def still_marked(self, mark: ErasureMark, event_ids: Sequence[str]) -> set[str]:
        """Which of `event_ids` are still marked by `mark`'s call."""
        ...

    def fence(
        self,
        mark: ErasureMark,
        event_ids: Sequence[str],
        *,
        at: datetime,
        purge_before: datetime,
    ) -> int:
        """In one transaction, turn the rows among `event_ids` still marked by `mark`'s call
        into fences made `at`, and delete some fences made before `purge_before`; how many rows
        became fences. Raises `StoreUnavailable` (`in_doubt` when the commit itself failed)."""
        ...

    def abandoned_erasures(self, before: datetime, limit: int) -> list[Erasing]:
        """Up to `limit` rows marked before `before`: erasures nobody finished."""
        ...

    def purge_fences(self, before: datetime, limit: int) -> int:
        """Delete up to `limit` fences made before `before`; how many."""
        ...

    def erasures_pending(self) -> int:
        """Rows marked for erasure and not yet fenced: erasures begun and not finished (in
        flight, or abandoned and left for a job)."""
        ...

    def event_ids_after(self, after: str | None, limit: int) -> list[str]:
        """The events' eventIds in ascending order, `limit` at a time after `after`
        (maintenance: rows being erased and fences are left out)."""
        ...

    def received_before(self, before: datetime, limit: int) -> list[tuple[str, str]]:
        """Up to `limit` events (not rows being erased, not fences) received before `before`,
        oldest first, as (userId, eventId)."""
        ...

    def ping(self) -> None: ...


class DetailStore(Protocol):
    def claim(
        self,
        event_id: str,
        user_id: str,
        details: dict[str, Any],
        content_hash: str,
        writer_id: str,
    ) -> None:
        """Store the details unless an item with other content exists (`DetailsClaimedByOther`);
        record `writer_id` as a writer relying on the item."""
        ...

    def release(self, event_id: str, writer_id: str) -> None:
        """Withdraw `writer_id`'s claim; delete the item once no writer relies on it."""
        ...

    def claim_many(self, claims: Sequence[Claim]) -> list[ClaimResult]:
        """`claim` for each of `claims`, several at a time; one result per claim, in order."""
        ...

    def release_many(self, claims: Sequence[Claim]) -> None:
        """`release` each claim's writer, several at a time; failures are logged, not raised."""
        ...

    def get_many(self, event_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Details by eventId; every id asked for is answered or the call raises."""
        ...

    def versions(self, event_ids: Sequence[str]) -> dict[str, ItemVersion]:
        """The current version of each existing item among `event_ids` (a consistent read)."""
        ...

    def delete_unchanged(
        self, versions: Sequence[ItemVersion], *, before_ms: int | None = None
    ) -> list[str]:
        """Delete each item still at its version (no claim since it was read; an absent one:
        still absent) and, with `before_ms`, last claimed before then. The eventIds whose item
        changed, which are kept; raises `StoreUnavailable` once every deletion was tried, if
        one was not answered."""
        ...

    def scan(self, segment: int, segments: int, *, after: str | None = None) -> Iterator[ScanPage]:
        """One of `segments` parallel parts of the table, a page at a time, from the start or
        from after the `resume_after` of a page this segment yielded before."""
        ...

    def ping(self) -> None: ...
