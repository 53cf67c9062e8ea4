"""What the resolver needs from each store, and the store-level signals it reacts to.

The resolver depends on these protocols only, so its write protocol can be tested with fakes and
any store that keeps these promises (SQLite, SQL Server, DynamoDB, DynamoDB Local) can sit behind.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

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


class DuplicateEventId(Exception):
    """The metadata row already exists (another request committed it first)."""


class DetailsClaimedByOther(Exception):
    """A details item exists for this eventId with different content."""


class MetadataStore(Protocol):
    def get(self, event_id: str) -> EventRecord | None: ...

    def insert(self, record: EventRecord) -> None:
        """Commit the row; raise `DuplicateEventId`, or `StoreUnavailable` (`in_doubt` when the
        commit itself failed and the row may exist)."""
        ...

    def list_page(self, request: PageRequest) -> list[EventRecord]: ...

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

    def get_many(self, event_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Details by eventId; every id asked for is answered or the call raises."""
        ...

    def ping(self) -> None: ...
