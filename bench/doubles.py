"""In-memory stores behind the same protocols, for benchmarks of the API's own cost: with them,
what a request costs is our code (routing, validation, the write protocol, JSON), not a store's
round trips. Thread-safe, as the API calls stores from many worker threads; no failure modes.
No erasure: it is not among the benchmarked requests."""

import threading
from collections.abc import Iterator, Sequence
from typing import Any

from persistence.protocols import (
    Claim,
    ClaimResult,
    DetailsClaimedByOther,
    DuplicateEventId,
    EventRecord,
    ItemVersion,
    PageRequest,
    ScanPage,
)


class MemoryMetadataStore:
    def __init__(self) -> None:
        self._rows: dict[str, EventRecord] = {}
        self._lock = threading.Lock()

    def get(self, event_id: str) -> EventRecord | None:
        return self._rows.get(event_id)

    def get_many(self, event_ids: Sequence[str]) -> dict[str, EventRecord]:
        rows = self._rows
        return {key: rows[key] for key in event_ids if key in rows}

    def insert_many(self, records: Sequence[EventRecord], *, replacing: Sequence[Any] = ()) -> None:
        with self._lock:
            if any(record.event_id in self._rows for record in records):
                raise DuplicateEventId
            self._rows.update((record.event_id, record) for record in records)

    def list_page(self, request: PageRequest) -> list[EventRecord]:
        rows = [row for row in list(self._rows.values()) if row.user_id == request.user_id]
        if request.event_types:
            rows = [row for row in rows if row.event_type in request.event_types]
        rows.sort(key=lambda row: row.event_id)
        rows.sort(key=lambda row: row.timestamp, reverse=True)
        if (after := request.after) is not None:
            rows = [
                row
                for row in rows
                if row.timestamp < after.timestamp
                or (row.timestamp == after.timestamp and row.event_id > after.event_id)
            ]
        return rows[: request.limit]

    def event_ids_after(self, after: str | None, limit: int) -> list[str]:
        return sorted(key for key in list(self._rows) if after is None or key > after)[:limit]

    def ping(self) -> None:
        return None


class MemoryDetailStore:
    def __init__(self) -> None:
        self._items: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def claim(
        self,
        event_id: str,
        user_id: str,
        details: dict[str, Any],
        content_hash: str,
        writer_id: str,
    ) -> None:
        # What a details store keeps is a copy of the document, not the request's objects: the
        # walked document's attribute value (`Details.attribute`) is left behind, as DynamoDB's
        # store leaves it once written. Kept, it would hold twice the objects per event alive in
        # this process, and Python's garbage collector would walk them all again and again as
        # the doubles grow (a cost of the doubles, not of a request).
        with self._lock:
            item = self._items.setdefault(
                event_id, {"details": dict(details), "hash": content_hash, "writers": set()}
            )
            if item["hash"] != content_hash:
                raise DetailsClaimedByOther(event_id)
            item["writers"].add(writer_id)
            item["token"] = writer_id

    def claim_many(self, claims: Sequence[Claim]) -> list[ClaimResult]:
        results: list[ClaimResult] = []
        for one in claims:
            try:
                self.claim(one.event_id, one.user_id, one.details, one.content_hash, one.writer_id)
                results.append("claimed")
            except DetailsClaimedByOther:
                results.append("conflict")
        return results

    def release(self, event_id: str, writer_id: str) -> None:
        with self._lock:
            item = self._items.get(event_id)
            if item is not None:
                item["writers"].discard(writer_id)
                if not item["writers"]:
                    del self._items[event_id]

    def release_many(self, claims: Sequence[Claim]) -> None:
        for one in claims:
            self.release(one.event_id, one.writer_id)

    def get_many(self, event_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        items = self._items
        return {key: items[key]["details"] for key in event_ids if key in items}

    def versions(self, event_ids: Sequence[str]) -> dict[str, ItemVersion]:
        items = self._items
        return {
            key: ItemVersion(key, items[key].get("token"), None)
            for key in event_ids
            if key in items
        }

    def scan(self, segment: int, segments: int, *, after: str | None = None) -> Iterator[ScanPage]:
        keys = [key for key in sorted(self._items) if after is None or key > after]
        versions = [ItemVersion(key, self._items[key].get("token"), None) for key in keys]
        yield ScanPage(versions[segment::segments], None)

    def ping(self) -> None:
        return None
