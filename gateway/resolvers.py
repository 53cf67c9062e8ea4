"""The one resolver layer: the write protocol, idempotency, and the SQL ⋈ DynamoDB join.

Every transport (REST, GraphQL, the Lambda handler) calls this module and nothing below it, so
the rules, the write order and the paging behave the same whichever door a request came in by.
It imports neither FastAPI nor Strawberry.

Write protocol: details first (a conditional claim in DynamoDB), then the metadata row in SQL.
The committed row is the moment an event becomes visible: reads are driven by SQL, so details
without a row are never shown, and a failed row write leaves nothing a client can see. The row
write ends a little before the request's deadline, so that undoing the details claim after it
fails still has time.

Access: every operation takes the `Caller` its transport identified and checks it with
`schema.access.authorize` before touching a store, so both doors apply the same rule.
"""

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from persistence.deadline import reserving
from persistence.protocols import (
    DetailsClaimedByOther,
    DetailStore,
    DuplicateEventId,
    EventRecord,
    MetadataStore,
    PageRequest,
)
from schema.access import Action, Caller, authorize, require_identity
from schema.cursor import CursorPosition, decode_cursor, encode_cursor, query_fingerprint
from schema.errors import EventConflict, EventNotFound, StoreName, StoreUnavailable
from schema.events import (
    Event,
    EventCreate,
    EventListQuery,
    EventPage,
    parse_event_create,
    parse_user_id,
)
from schema.limits import Limits

logger = logging.getLogger(__name__)

# Of a request's deadline, what the row write leaves for withdrawing the details claim (two
# DynamoDB calls) when it fails.
WITHDRAW_RESERVE_SECONDS = 1.0


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
    ) -> None:
        self._metadata = metadata
        self._details = details
        self._limits = limits
        self._cursor_secret = cursor_secret
        self._clock = clock

    def record_event(self, raw: Any, *, caller: Caller) -> RecordOutcome:
        """Validate and store an event; replay an identical one; refuse a conflicting one."""
        require_identity(caller)
        now = self._clock()
        create = parse_event_create(raw, self._limits, now)
        authorize(caller, Action.RECORD, create.user_id)
        content_hash = create.content_hash()
        if create.event_id is not None:
            stored = self._metadata.get(str(create.event_id))
            if stored is not None:
                return self._replay(stored, create, content_hash)
        record = EventRecord(
            event_id=str(create.event_id or uuid.uuid4()),
            user_id=create.user_id,
            event_type=create.event_type,
            timestamp=create.timestamp or now,
            received_at=now,
            content_hash=content_hash,
        )
        return self._write(record, create)

    def find_record(self, user_id: str, event_id: str, *, caller: Caller) -> EventRecord | None:
        """The metadata of one of the user's events (None for another user's or no event).

        Access is judged on the `user_id` asked for, before any lookup: a caller who may not
        read that user learns nothing about which events exist (403, never 404)."""
        require_identity(caller)
        user_id = parse_user_id(user_id)
        authorize(caller, Action.READ, user_id)
        record = self._metadata.get(_canonical_uuid(event_id) or "")
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

    def _write(self, record: EventRecord, create: EventCreate) -> RecordOutcome:
        writer_id = uuid.uuid4().hex
        try:
            self._details.claim(
                record.event_id, record.user_id, create.details, record.content_hash, writer_id
            )
        except DetailsClaimedByOther as exc:
            raise EventConflict(record.event_id) from exc
        try:
            with reserving(WITHDRAW_RESERVE_SECONDS):
                self._metadata.insert(record)
        except DuplicateEventId:
            # An identical request committed first: answer as its replay.
            stored = self._metadata.get(record.event_id)
            if stored is None:
                raise StoreUnavailable("metadata") from None
            return self._replay(stored, create, record.content_hash)
        except StoreUnavailable as failure:
            self._withdraw(record.event_id, writer_id, failure)
            raise
        return RecordOutcome(_event(record, create.details), created=True)

    def _withdraw(self, event_id: str, writer_id: str, failure: StoreUnavailable) -> None:
        """Undo our details claim after a failed row write, unless the row may have committed."""
        if failure.in_doubt:
            # The row may be visible: its details must stay. If it is not, the item is an
            # invisible orphan that the client's retry (same eventId) adopts.
            logger.warning("metadata commit in doubt; details of %s kept", event_id)
            return
        try:
            self._details.release(event_id, writer_id)
        except StoreUnavailable:
            logger.warning("could not withdraw details of %s; left invisible", event_id)

    def _replay(self, stored: EventRecord, create: EventCreate, content_hash: str) -> RecordOutcome:
        same_time = create.timestamp is None or create.timestamp == stored.timestamp
        if stored.content_hash != content_hash or not same_time:
            raise EventConflict(stored.event_id)
        events = self._join([stored])
        if events:
            return RecordOutcome(events[0], created=False)
        self._restore_details(stored, create)
        return RecordOutcome(_event(stored, create.details), created=False)

    def _restore_details(self, stored: EventRecord, create: EventCreate) -> None:
        """The row is visible but its details item is gone: lost outside our writes (deleted
        by hand, missed by a restore). The replay carries the very content the row's hash
        names, so it puts the item back; answering 503 would send the client into a retry loop
        that can never succeed."""
        logger.warning("event %s had no details item; restored from a replay", stored.event_id)
        try:
            self._details.claim(
                stored.event_id,
                stored.user_id,
                create.details,
                stored.content_hash,
                uuid.uuid4().hex,
            )
        except DetailsClaimedByOther as exc:
            # An item with other content than the row's: damage no write of ours makes.
            logger.error("details of %s disagree with its row's content hash", stored.event_id)
            raise EventConflict(stored.event_id) from exc

    def _join(self, records: Sequence[EventRecord]) -> list[Event]:
        if not records:
            return []
        details = self._details.get_many([record.event_id for record in records])
        events = []
        for record in records:
            if record.event_id not in details:
                # The protocol never commits a row without its details; this is outside damage.
                logger.error("event %s has no details item; not shown", record.event_id)
                continue
            events.append(_event(record, details[record.event_id]))
        return events


def _event(record: EventRecord, details: dict[str, Any]) -> Event:
    return Event(
        event_id=uuid.UUID(record.event_id),
        user_id=record.user_id,
        event_type=record.event_type,
        timestamp=record.timestamp,
        received_at=record.received_at,
        details=details,
    )


def _fingerprint(user_id: str, query: EventListQuery) -> bytes:
    return query_fingerprint(user_id, query.event_types, query.start, query.end)


def _canonical_uuid(text: str) -> str | None:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None
