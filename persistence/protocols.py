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


# What became of one claim of a batch: made, refused (other content), or not answered.
ClaimResult = Literal["claimed", "conflict", "unavailable"]


@dataclass(frozen=True)
class ItemVersion:
    """What identifies a details item's current state: the last claim made on it (`None` for an
    item no claim of this version of the protocol touched), and when that was (epoch ms)."""

    event_id: str
    claim_token: str | None
    last_claim_ms: int | None


class DuplicateEventId(Exception):
    """A metadata row already exists (another request committed it first)."""


class DetailsClaimedByOther(Exception):
    """A details item exists for this eventId with different content."""


class MetadataStore(Protocol):
    def get(self, event_id: str) -> EventRecord | None: ...

    def get_many(self, event_ids: Sequence[str]) -> dict[str, EventRecord]:
        """The rows of those of `event_ids` that exist, by eventId (one query per 1,000 ids)."""
        ...

    def insert_many(self, records: Sequence[EventRecord]) -> None:
        """Commit every row in one transaction, or none; raise `DuplicateEventId` when one
        exists, or `StoreUnavailable` (`in_doubt` when the commit itself failed and the rows
        may exist)."""
        ...

    def list_page(self, request: PageRequest) -> list[EventRecord]: ...

    def user_event_ids(self, user_id: str, limit: int) -> list[str]:
        """Up to `limit` of the user's eventIds, newest first."""
        ...

    def delete(self, user_id: str, event_ids: Sequence[str]) -> int:
        """Delete the user's rows among `event_ids` in one transaction; how many were deleted.
        Raises `StoreUnavailable` (`in_doubt` when the commit itself failed)."""
        ...

    def existing(self, event_ids: Sequence[str]) -> set[str]:
        """Which of `event_ids` have a row."""
        ...

    def event_ids_after(self, after: str | None, limit: int) -> list[str]:
        """Every eventId in ascending order, `limit` at a time after `after` (maintenance)."""
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
    ) -> int:
        """Delete each item still at `version` (no claim since it was read) and, with
        `before_ms`, last claimed before then; items that changed are kept. How many were
        deleted; raises `StoreUnavailable` once every deletion was tried, if one was not."""
        ...

    def scan(self, segment: int, segments: int) -> Iterator[list[ItemVersion]]:
        """One of `segments` parallel parts of the table, a page at a time."""
        ...

    def ping(self) -> None: ...
