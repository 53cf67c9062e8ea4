"""The write protocol, for one event or a batch of them: a single POST is a batch of one, with
the same code path and the same store calls.

Details first (a conditional claim in DynamoDB, the claims of a batch several at a time), then
the metadata rows in SQL, every row of a batch in one transaction. The committed rows are the
moment the events become visible: reads are driven by SQL, so details without a row are never
shown, and a failed row write leaves nothing a client can see. The rows' write ends a little
before the request's deadline, so that undoing the claims after it fails still has time.

Erasure races writes of the same events (`erasure`), so every claim a row commits on is made
after the writer saw the row state that commit replaces: nothing (the INSERT holds only while
there is still nothing), or a fence an erasure left (deleted in the same transaction, only if it
is still that fence). A claim made before an erasure deleted the details may be void; so a
writer that meets a fence it did not see claims again first, and one that meets a row being
erased answers 503 (the same request succeeds once the erasure ends).

Store calls for a batch of n events, r of them already stored: one SELECT of the rows whose
eventId was given (none when no event gives one), ⌈r/100⌉ BatchGetItem for the replays, one
UpdateItem per new event (16 in flight at once), one INSERT of every new row and one COMMIT.
"""

import logging
import os
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from persistence.deadline import budget_of_its_own, reserving
from persistence.metric_catalogue import CLAIMS, EVENT_FATES, REPLAYS
from persistence.protocols import (
    Claim,
    DetailsClaimedByOther,
    DetailStore,
    DuplicateEventId,
    Erasing,
    EventRecord,
    Fence,
    MetadataStore,
    StoredRow,
)
from persistence.telemetry import NO_TELEMETRY, Telemetry
from schema.access import Action, Caller, authorize, require_identity
from schema.errors import (
    EventBeingErased,
    EventConflict,
    Forbidden,
    InvalidInput,
    StoreUnavailable,
)
from schema.events import Event, EventCreate, parse_event_create
from schema.jsonvalue import repeated_keys
from schema.limits import Limits
from schema.outcome import EventResult, Outcome

logger = logging.getLogger(__name__)

# Of a request's deadline, what the row write leaves for withdrawing the details claims (two
# DynamoDB calls each, several at a time) when it fails.
WITHDRAW_RESERVE_SECONDS = 1.0
# What withdrawing a failed write's claims may take, whatever is left of the deadline: claims
# cut by the deadline are withdrawn too, so their 503 may come up to this much after it.
WITHDRAW_BUDGET_SECONDS = 2.0
# Rounds of the rows' INSERT: each one that meets a row another request committed first (a
# race on one eventId) answers those events as replays and inserts the rest again, claiming
# again those whose eventId an erasure fenced meanwhile.
MAX_INSERT_ROUNDS = 3


# _Valid and _New are made for every event of a batch and never changed afterwards; they are not
# frozen, as a frozen dataclass's __init__ costs twice a plain one's.
@dataclass(slots=True)
class _Valid:
    """An event that passed the rules, at its place in the request."""

    index: int
    create: EventCreate
    content_hash: str
    given_id: str | None  # its eventId, canonical, when the request gave one


@dataclass(slots=True)
class _New:
    valid: _Valid
    record: EventRecord
    claim: Claim
    event_uuid: uuid.UUID  # record.event_id as a UUID, for the answer
    replacing: Fence | None = None  # the fence its row replaces, seen before `claim` was made
    earlier: tuple[Claim, ...] = ()  # its claims before `claim`, withdrawn with it

    def claims(self) -> list[Claim]:
        return [*self.earlier, self.claim]


class EventWriter:
    def __init__(
        self,
        metadata: MetadataStore,
        details: DetailStore,
        *,
        limits: Limits,
        clock: Callable[[], datetime],
        telemetry: Telemetry = NO_TELEMETRY,
    ) -> None:
        self._metadata = metadata
        self._details = details
        self._limits = limits
        self._clock = clock
        self._telemetry = telemetry

    def record_many(
        self, raws: Sequence[Any], *, caller: Caller, repeats: bool = False
    ) -> list[EventResult]:
        """Each event's outcome, in request order. Raises `StoreUnavailable` when a store
        fails; nothing the call wrote is visible then, and repeating it stores each event
        (with an eventId) exactly once. Otherwise every new event of the call becomes visible
        in the one commit, so no answer says "retry" about a batch part of which is stored."""
        require_identity(caller)
        now = self._clock()
        outcomes: dict[int, EventResult] = {}
        firsts: list[_Valid] = []
        later: dict[str, list[_Valid]] = {}  # an eventId's later occurrences in the request
        for index, raw in enumerate(raws):
            judged = self._judge(index, raw, caller, now, repeats=repeats)
            if not isinstance(judged, _Valid):
                outcomes[index] = judged
            elif judged.given_id is not None and judged.given_id in later:
                later[judged.given_id].append(judged)
            else:
                if judged.given_id is not None:
                    later[judged.given_id] = []
                firsts.append(judged)
        stored = self._metadata.get_many(list(later)) if later else {}
        if erasing := [row.event_id for row in stored.values() if isinstance(row, Erasing)]:
            raise EventBeingErased(erasing[0])
        events = {key: row for key, row in stored.items() if isinstance(row, EventRecord)}
        fences = {key: row for key, row in stored.items() if isinstance(row, Fence)}
        # Every occurrence of a stored eventId is judged against its row, which nothing this
        # call writes can change.
        outcomes |= self._replay(
            [
                (valid, events[key])
                for first in firsts
                if (key := str(first.given_id)) in events
                for valid in [first, *later[key]]
            ]
        )
        writes = [valid for valid in firsts if valid.given_id not in events]
        outcomes |= self._write(writes, later, now, fences)
        answered = [outcomes[index] for index in range(len(raws))]
        self._count_fates(answered)
        return answered

    def _count_fates(self, results: list[EventResult]) -> None:
        """One count per fate (a batch of 500 is at most five updates, not 500)."""
        fates = Counter(result.outcome for result in results)
        for fate, count in fates.items():
            self._telemetry.add(EVENT_FATES, count, fate.value)
        if replayed := fates[Outcome.REPLAYED]:
            self._telemetry.add(REPLAYS, replayed)

    def _judge(
        self, index: int, raw: Any, caller: Caller, now: datetime, *, repeats: bool
    ) -> "_Valid | EventResult":
        """One event against the rules and the access rule, as a single POST would be."""
        try:
            if repeats and (repeated := repeated_keys(raw)):
                raise InvalidInput(repeated)
            create = parse_event_create(raw, self._limits, now)
            authorize(caller, Action.RECORD, create.user_id)
        except InvalidInput as invalid:
            return EventResult(Outcome.INVALID, error=invalid)
        except Forbidden as forbidden:
            return EventResult(Outcome.FORBIDDEN, error=forbidden)
        given = None if create.event_id is None else str(create.event_id)
        return _Valid(index, create, create.content_hash(), given)

    def _replay(self, replays: list[tuple[_Valid, EventRecord]]) -> dict[int, EventResult]:
        outcomes: dict[int, EventResult] = {}
        matching = []
        for valid, stored in replays:
            if _same_event(stored, valid):
                matching.append((valid, stored))
            else:
                outcomes[valid.index] = _conflict(stored.event_id)
        found = (
            self._details.get_many([stored.event_id for _, stored in matching]) if matching else {}
        )
        for valid, stored in matching:
            if stored.event_id in found:
                event = stored_event(stored, found[stored.event_id])
                outcomes[valid.index] = EventResult(Outcome.REPLAYED, event)
            else:
                outcomes[valid.index] = self._restore_details(stored, valid.create)
        return outcomes

    def _restore_details(self, stored: EventRecord, create: EventCreate) -> EventResult:
        """The row is visible but its details item is gone: lost outside our writes (deleted
        by hand, missed by a restore). The replay carries the very content the row's hash
        names, so it puts the item back; answering 503 would send the client into a retry loop
        that can never succeed."""
        logger.warning("event %s had no details item; restored from a replay", stored.event_id)
        token = claim_token()
        try:
            self._details.claim(
                stored.event_id, stored.user_id, create.details, stored.content_hash, token
            )
        except DetailsClaimedByOther:
            # An item with other content than the row's: damage no write of ours makes.
            logger.error("details of %s disagree with its row's content hash", stored.event_id)
            return _conflict(stored.event_id)
        # An erasure may have marked the row since it was read, and deleted the details before
        # this claim made them again: then they belong to no event, and go.
        row = self._metadata.get_many([stored.event_id]).get(stored.event_id)
        if not (isinstance(row, EventRecord) and row.content_hash == stored.content_hash):
            self._details.release(stored.event_id, token)
            raise EventBeingErased(stored.event_id)
        return EventResult(Outcome.REPLAYED, stored_event(stored, create.details))

    def _write(
        self,
        writes: list[_Valid],
        later: dict[str, list[_Valid]],
        now: datetime,
        fences: dict[str, Fence],
    ) -> dict[int, EventResult]:
        """Claim the details of `writes`, then commit every claimed row at once. An eventId
        whose claim conflicts passes to its next occurrence of other content, claimed in another
        round before the commit (only a batch that repeats an id pays for one); the other
        occurrences follow what their eventId's claimed occurrence became."""
        outcomes: dict[int, EventResult] = {}
        claimed: list[_New] = []
        news = [_new(valid, now, fences.get(str(valid.given_id))) for valid in writes]
        while news:
            conflicts, made = self._claim(news, withdrawing=claimed)
            outcomes |= conflicts
            claimed += made
            news = [
                _new(successor, now, fences.get(str(new.valid.given_id)))
                for new in news
                if new.valid.index in conflicts
                and (successor := _successor(new.valid, later, outcomes)) is not None
            ]
        committed: dict[str, EventRecord] = {}
        outcomes |= self._commit(claimed, committed)
        for new in claimed:
            for follower in later.get(str(new.valid.given_id), []):
                led = outcomes[new.valid.index]
                if led.event is not None:
                    outcomes[follower.index] = _follow(follower, new.valid, led.event)
                elif (row := committed.get(new.record.event_id)) is not None:
                    outcomes[follower.index] = _replayed_as_committed(row, follower)
                else:
                    outcomes[follower.index] = _conflict(new.record.event_id)
        return outcomes

    def _claim(
        self, news: list[_New], *, withdrawing: list[_New]
    ) -> tuple[dict[int, EventResult], list[_New]]:
        """Claim the details of `news`: their conflicts, and those claimed. A claim not
        answered withdraws every claim of `news` and `withdrawing` that may have been made (an
        unanswered one too: it may have reached the store), and raises."""
        with self._telemetry.span("claim", **{"eventlog.events": len(news)}):
            results = self._details.claim_many([new.claim for new in news])
        self._telemetry.add(CLAIMS, results.count("claimed"), "made")
        if conflicts := results.count("conflict"):
            self._telemetry.add(CLAIMS, conflicts, "conflicted")
        if any(result in _FAILED for result in results):
            made = [
                claim
                for new, result in zip(news, results, strict=True)
                for claim in (new.claims() if result in _MAYBE_MADE else new.earlier)
            ]
            self._release(made + [c for new in withdrawing for c in new.claims()])
            raise StoreUnavailable("details")
        outcomes = {
            new.valid.index: _conflict(new.record.event_id)
            for new, result in zip(news, results, strict=True)
            if result == "conflict"
        }
        return outcomes, [
            new for new, result in zip(news, results, strict=True) if result == "claimed"
        ]

    def _commit(
        self, claimed: list[_New], committed: dict[str, EventRecord]
    ) -> dict[int, EventResult]:
        """Insert the rows of every claimed event in one transaction. `committed` receives
        the rows other requests committed first."""
        outcomes: dict[int, EventResult] = {}
        for _ in range(MAX_INSERT_ROUNDS):
            if not claimed:
                return outcomes
            replacing = [new.replacing for new in claimed if new.replacing is not None]
            try:
                with (
                    reserving(WITHDRAW_RESERVE_SECONDS),
                    self._telemetry.span("insert", **{"eventlog.events": len(claimed)}),
                ):
                    self._metadata.insert_many([new.record for new in claimed], replacing=replacing)
            except DuplicateEventId:
                settled, claimed = self._after_duplicate(claimed, committed)
                outcomes |= settled
                continue
            except StoreUnavailable as failure:
                self._withdraw(claimed, failure)
                raise
            created = Outcome.CREATED
            return outcomes | {
                new.valid.index: EventResult(
                    created, stored_event(new.record, new.claim.details, new.event_uuid)
                )
                for new in claimed
            }
        self._withdraw(claimed, StoreUnavailable("metadata"))
        raise StoreUnavailable("metadata")

    def _after_duplicate(
        self, claimed: list[_New], committed: dict[str, EventRecord]
    ) -> tuple[dict[int, EventResult], list[_New]]:
        """Another request or an erasure changed some of these eventIds' rows first: answer
        those committed as that request's replays, and claim again those fenced meanwhile."""
        try:
            rows = self._metadata.get_many([new.record.event_id for new in claimed])
        except StoreUnavailable as failure:
            self._withdraw(claimed, failure)
            raise
        if erasing := [row.event_id for row in rows.values() if isinstance(row, Erasing)]:
            self._withdraw(claimed, StoreUnavailable("metadata"))
            raise EventBeingErased(erasing[0])
        settled: dict[int, EventResult] = {}
        same: list[_New] = []
        changed: list[_New] = []
        for new in claimed:
            row = rows.get(new.record.event_id)
            if isinstance(row, EventRecord):
                committed[row.event_id] = row
                settled[new.valid.index] = _replayed_as_committed(row, new.valid)
            elif row == new.replacing:
                same.append(new)  # as it saw it: its claim stands
            else:
                changed.append(_again(new, row))
        if not changed:
            return settled, same
        conflicts, made = self._claim(changed, withdrawing=same)
        return settled | conflicts, same + made

    def _withdraw(self, claimed: list[_New], failure: StoreUnavailable) -> None:
        """Undo our claims after a failed row write, unless the rows may have committed."""
        if failure.in_doubt:
            # The rows may be visible: their details must stay. If they are not, the items are
            # invisible orphans that the client's retry (same eventIds) adopts, or the reconcile
            # job removes.
            logger.warning("metadata commit in doubt; details of %d events kept", len(claimed))
            return
        self._release([claim for new in claimed for claim in new.claims()])

    def _release(self, claims: list[Claim]) -> None:
        """Withdraw `claims`, with a budget of their own whatever is left of the deadline."""
        with budget_of_its_own(WITHDRAW_BUDGET_SECONDS):
            self._details.release_many(claims)
        self._telemetry.add(CLAIMS, len(claims), "released")


_MAYBE_MADE = frozenset({"claimed", "unanswered"})
_FAILED = frozenset({"unavailable", "unanswered", "not_started"})


def claim_token() -> str:
    """Who wrote a claim: 128 random bits, as hex (a UUID's randomness without its object)."""
    return os.urandom(16).hex()


def stored_event(
    record: EventRecord, details: dict[str, Any], event_uuid: uuid.UUID | None = None
) -> Event:
    """The stored event as answered: its parts were validated on their way in, so the model is
    built without validating them again (a page of 1,000 events, a batch of 500). `event_uuid`
    is the eventId as a UUID when the caller has it (a new event), so it is not parsed again."""
    return Event.trusted(
        event_id=uuid.UUID(record.event_id) if event_uuid is None else event_uuid,
        user_id=record.user_id,
        event_type=record.event_type,
        timestamp=record.timestamp,
        received_at=record.received_at,
        details=details,
    )


def _again(new: _New, row: StoredRow | None) -> _New:
    """`new` with a claim made after its row was seen as `row` (a fence, or nothing)."""
    claim = Claim(
        new.claim.event_id,
        new.claim.user_id,
        new.claim.details,
        new.claim.content_hash,
        claim_token(),
    )
    replacing = row if isinstance(row, Fence) else None
    return _New(new.valid, new.record, claim, new.event_uuid, replacing, tuple(new.claims()))


def _new(valid: _Valid, now: datetime, replacing: Fence | None) -> _New:
    create = valid.create
    event_uuid = create.event_id or uuid.uuid4()
    record = EventRecord(
        event_id=valid.given_id or str(event_uuid),
        user_id=create.user_id,
        event_type=create.event_type,
        timestamp=create.timestamp or now,
        received_at=now,
        content_hash=valid.content_hash,
    )
    claim = Claim(
        record.event_id, create.user_id, create.details, valid.content_hash, claim_token()
    )
    return _New(valid, record, claim, event_uuid, replacing)


def _same_event(stored: EventRecord, valid: _Valid) -> bool:
    """A replay: the same content, and the same time unless the request left it to the server."""
    timestamp = valid.create.timestamp
    return stored.content_hash == valid.content_hash and timestamp in (None, stored.timestamp)


def _replayed_as_committed(row: EventRecord, valid: _Valid) -> EventResult:
    """Our claim proved the details item holds this content; the row is another request's."""
    if not _same_event(row, valid):
        return _conflict(row.event_id)
    return EventResult(Outcome.REPLAYED, stored_event(row, valid.create.details))


def _successor(
    conflicted: _Valid, later: dict[str, list[_Valid]], outcomes: dict[int, EventResult]
) -> _Valid | None:
    """The next occurrence of a conflicted eventId that may claim it: the first of other content
    (those of the same content conflict as it did, and are answered so)."""
    waiting = later.get(str(conflicted.given_id), [])
    while waiting:
        occurrence = waiting.pop(0)
        if occurrence.content_hash != conflicted.content_hash:
            return occurrence
        outcomes[occurrence.index] = _conflict(str(conflicted.given_id))
    return None


def _follow(follower: _Valid, leader: _Valid, stored: Event) -> EventResult:
    """An eventId's later occurrence in the same batch, judged against what its first stored."""
    same_time = follower.create.timestamp in (None, stored.timestamp)
    if follower.content_hash != leader.content_hash or not same_time:
        return _conflict(str(follower.given_id))
    return EventResult(Outcome.REPLAYED, stored)


def _conflict(event_id: str) -> EventResult:
    return EventResult(Outcome.CONFLICT, error=EventConflict(event_id))
