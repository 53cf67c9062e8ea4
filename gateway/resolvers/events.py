"""The resolver layer's entry: every operation both doors (REST, GraphQL) and the Lambda
handler call, and nothing below it. It imports neither FastAPI nor Strawberry.

Writes follow the protocol in `writes` (details first, then the rows: SQL decides visibility),
erasures the one in `erasure` (mark the rows, delete the details, fence the rows); reads are one
SQL query joined with one batched DynamoDB read.

Access: every operation takes the `Caller` its transport identified and checks it with
`schema.access.authorize` before touching a store, so both doors apply the same rule.
"""

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from gateway.resolvers.erasure import Erasure, EventEraser
from gateway.resolvers.writes import EventWriter, WriteOutcome, stored_event
from persistence.metric_catalogue import BATCH_SIZE, ERASED_EVENTS
from persistence.protocols import DetailStore, EventRecord, MetadataStore, PageRequest
from persistence.telemetry import NO_TELEMETRY, Telemetry
from schema.access import Action, Caller, authorize, require_identity
from schema.batch import BatchOutcome, parse_batch
from schema.cursor import CursorPosition, decode_cursor, encode_cursor, query_fingerprint
from schema.erasure import parse_erasure
from schema.errors import EventNotFound, StoreName, StoreUnavailable
from schema.events import Event, EventListQuery, EventPage, parse_user_id
from schema.limits import Limits

logger = logging.getLogger(__name__)

# The settings' default reconcile grace period.
DEFAULT_GRACE_SECONDS = 900


@dataclass(frozen=True)
class RecordOutcome:
    event: Event
    created: bool


def utc_now() -> datetime:
    return datetime.now(UTC)


class EventResolver:
    def __init__(
        self,
        metadata: MetadataStore,
        details: DetailStore,
        *,
        limits: Limits,
        cursor_secret: bytes,
        clock: Callable[[], datetime] = utc_now,
        grace_seconds: int = DEFAULT_GRACE_SECONDS,
        telemetry: Telemetry = NO_TELEMETRY,
    ) -> None:
        """`grace_seconds`: longer than any request may take (the settings' reconcile grace
        period); fences an erasure leaves are kept that long. `telemetry`: where the writes'
        claims, fates and batch sizes, and erasures, are counted."""
        self._metadata = metadata
        self._details = details
        self._limits = limits
        self._cursor_secret = cursor_secret
        self._telemetry = telemetry
        self._writer = EventWriter(
            metadata, details, limits=limits, clock=clock, telemetry=telemetry
        )
        grace = timedelta(seconds=grace_seconds)
        self._eraser = EventEraser(metadata, details, grace=grace, clock=clock)

    def record_event(self, raw: Any, *, caller: Caller) -> RecordOutcome:
        """Validate and store an event; replay an identical one; refuse a conflicting one."""
        (outcome,) = self._writer.record_many([raw], caller=caller)
        if outcome.error is not None:
            raise outcome.error
        assert outcome.event is not None
        return RecordOutcome(outcome.event, created=outcome.outcome is BatchOutcome.CREATED)

    def record_events(
        self, raw: Any, *, caller: Caller, repeats: bool = True
    ) -> list[WriteOutcome]:
        """A batch: each event judged and stored as `record_event` would, in one round of
        store calls; one outcome per event, in order. `repeats`: whether the document may
        repeat a key somewhere (parsed with `parse_json_keeping_repeats`), so that each event
        must be searched for one."""
        require_identity(caller)
        events = parse_batch(raw, self._limits)
        self._telemetry.add(BATCH_SIZE, len(events))
        return self._writer.record_many(events, caller=caller, repeats=repeats)

    def record_inputs(self, raws: Sequence[Any], *, caller: Caller) -> list[WriteOutcome]:
        """A batch given as a list (GraphQL's `recordEvents`, whose variables repeat no key:
        the HTTP layer refuses those), held to the same bound."""
        return self.record_events({"events": list(raws)}, caller=caller, repeats=False)

    def delete_event(self, user_id: str, event_id: str, *, caller: Caller) -> None:
        """Erase one event (or finish its erasure); `EventNotFound` when the user has no such
        event (also after a concurrent erasure took it first)."""
        require_identity(caller)
        user_id = parse_user_id(user_id)
        authorize(caller, Action.DELETE, user_id)
        canonical = _canonical_uuid(event_id)
        if canonical is None or not self._eraser.erase_event(user_id, canonical):
            raise EventNotFound(user_id, event_id)
        self._telemetry.add(ERASED_EVENTS)

    def erase_user(
        self, user_id: str, given: Mapping[str, Sequence[Any]], *, caller: Caller
    ) -> Erasure:
        """Up to `limit` (at most the configured bound) of the user's events: those whose
        erasure an earlier call left unfinished first, then the newest; `given` holds every
        value each query parameter was given."""
        require_identity(caller)
        user_id, limit = parse_erasure(user_id, given, self._limits)
        authorize(caller, Action.DELETE, user_id)
        erasure = self._eraser.erase_user(user_id, limit)
        self._telemetry.add(ERASED_EVENTS, erasure.deleted)
        return erasure

    def find_record(self, user_id: str, event_id: str, *, caller: Caller) -> EventRecord | None:
        """The metadata of one of the user's events (None for another user's or no event).

        Access is judged on the `user_id` asked for, before any lookup: a caller who may not
        read that user learns nothing about which events exist (403, never 404)."""
        require_identity(caller)
        user_id = parse_user_id(user_id)
        authorize(caller, Action.READ, user_id)
        canonical = _canonical_uuid(event_id)
        record = None if canonical is None else self._metadata.get(canonical)
        return record if record is not None and record.user_id == user_id else None

    def get_event(self, user_id: str, event_id: str, *, caller: Caller) -> Event:
        record = self.find_record(user_id, event_id, caller=caller)
        if record is None:
            raise EventNotFound(user_id, event_id)
        events = self._join([record])
        if not events:
            raise EventNotFound(user_id, event_id)
        return events[0]

    def list_events(self, user_id: str, query: EventListQuery, *, caller: Caller) -> EventPage:
        """One keyset query for the page, then ceil(n/100) BatchGetItem calls for its details."""
        records = self.list_records(user_id, query, caller=caller)
        page = records[: query.limit]
        next_cursor = (
            self.cursor_for(user_id, query, page[-1]) if len(records) > query.limit else None
        )
        return EventPage(user_id=user_id, events=self._join(page), next_cursor=next_cursor)

    def list_records(
        self, user_id: str, query: EventListQuery, *, caller: Caller
    ) -> list[EventRecord]:
        """Metadata only, one row more than the limit (it tells whether a next page exists)."""
        require_identity(caller)
        user_id = parse_user_id(user_id)
        authorize(caller, Action.READ, user_id)
        after = (
            decode_cursor(query.cursor, _fingerprint(user_id, query), self._cursor_secret)
            if query.cursor
            else None
        )
        request = PageRequest(
            user_id=user_id,
            limit=query.limit + 1,
            event_types=tuple(dict.fromkeys(query.event_types)),
            start=query.start,
            end=query.end,
            after=after,
        )
        return self._metadata.list_page(request)

    def records_and_details(
        self, user_id: str, query: EventListQuery, *, caller: Caller, with_details: bool
    ) -> tuple[list[EventRecord], dict[str, dict[str, Any]]]:
        """`list_records` and, when asked, the page's details, in one call (GraphQL's page:
        one worker thread for both stores, as REST's `list_events`)."""
        records = self.list_records(user_id, query, caller=caller)
        page = records[: query.limit]
        return records, self._details_of(page) if with_details and page else {}

    def record_and_details(
        self, user_id: str, event_id: str, *, caller: Caller, with_details: bool
    ) -> tuple[EventRecord | None, dict[str, dict[str, Any]]]:
        """`find_record` and, when asked, its details, in one call (GraphQL's `event`)."""
        record = self.find_record(user_id, event_id, caller=caller)
        if record is None or not with_details:
            return record, {}
        return record, self._details_of([record])

    def _details_of(self, records: Sequence[EventRecord]) -> dict[str, dict[str, Any]]:
        found = self._details.get_many([record.event_id for record in records])
        for record in records:
            if record.event_id not in found:
                # The protocol never commits a row without its details; this is outside damage.
                logger.error("event %s has no details item; not shown", record.event_id)
        return found

    def cursor_for(self, user_id: str, query: EventListQuery, record: EventRecord) -> str:
        position = CursorPosition(record.timestamp, record.event_id)
        return encode_cursor(position, _fingerprint(user_id, query), self._cursor_secret)

    def details_for(self, event_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Details of many events in ceil(n/100) calls (GraphQL's DataLoader batches here)."""
        return self._details.get_many(event_ids)

    def unavailable_stores(self) -> list[StoreName]:
        """The stores that do not answer right now (readiness)."""
        failing: list[StoreName] = []
        for name, store in (("metadata", self._metadata), ("details", self._details)):
            try:
                store.ping()
            except StoreUnavailable:
                failing.append(name)  # type: ignore[arg-type]
        return failing

    def _join(self, records: Sequence[EventRecord]) -> list[Event]:
        if not records:
            return []
        details = self._details_of(records)
        return [
            stored_event(record, details[record.event_id])
            for record in records
            if record.event_id in details
        ]


def _fingerprint(user_id: str, query: EventListQuery) -> bytes:
    return query_fingerprint(user_id, query.event_types, query.start, query.end)


def _canonical_uuid(text: str) -> str | None:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None
