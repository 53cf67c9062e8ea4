"""In-memory stores keeping the protocols' promises, with switches to make them fail."""

from collections.abc import Sequence
from typing import Any

from persistence.protocols import (
    DetailsClaimedByOther,
    DuplicateEventId,
    EventRecord,
    PageRequest,
)
from schema.errors import StoreUnavailable


class FakeMetadataStore:
    def __init__(self, calls: list[str]) -> None:
        self.rows: dict[str, EventRecord] = {}
        self.calls = calls
        self.fail_inserts = 0
        self.in_doubt = False
        self.down = False
        self.before_insert: list[EventRecord] = []  # rows another request commits first

    def get(self, event_id: str) -> EventRecord | None:
        self._check()
        return self.rows.get(event_id)

    def insert(self, record: EventRecord) -> None:
        self.calls.append("metadata.insert")
        self._check()
        for row in self.before_insert:
            self.rows[row.event_id] = row
        self.before_insert = []
        if self.fail_inserts:
            self.fail_inserts -= 1
            raise StoreUnavailable("metadata", in_doubt=self.in_doubt)
        if record.event_id in self.rows:
            raise DuplicateEventId(record.event_id)
        self.rows[record.event_id] = record

    def list_page(self, request: PageRequest) -> list[EventRecord]:
        self.calls.append("metadata.list_page")
        self._check()
        rows = [row for row in self.rows.values() if row.user_id == request.user_id]
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


class FakeDetailStore:
    def __init__(self, calls: list[str]) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.calls = calls
        self.down = False

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
            }
        elif item["hash"] == content_hash:
            item["writers"].add(writer_id)
        else:
            raise DetailsClaimedByOther(event_id)

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

    def ping(self) -> None:
        self._check()

    def _check(self) -> None:
        if self.down:
            raise StoreUnavailable("details")
