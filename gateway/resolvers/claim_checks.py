"""The delayed check of each claim: orphans come from recent claims only, so each claim is
checked once, after its grace period, at a cost that follows the writes, not the table.

DynamoDB Streams records every change to the details table (keys only: the details never leave
the table). Each INSERT or MODIFY is a claim (or a writer withdrawing one); `schedule` queues
the item's eventId, delayed until the grace period after the newest record of the batch has
passed. `ClaimChecker.check` then reads the items' versions and rows and judges them as the
sweep does (`orphans.judge`): an item whose row is there (or being erased) is left; an orphan
last claimed before the cutoff is deleted with the same conditional delete (with `apply`), and
one claimed again since (a retry, or a clock that ran early) is queued again for when its own
grace period ends. Every claim schedules a check of its own, so a retry's claim is covered even
if an earlier check already passed the item.
"""

import logging
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from gateway.resolvers.orphans import judge
from persistence.protocols import DetailStore, MetadataStore

logger = logging.getLogger(__name__)

# Stream records that may be a claim: an item made, or changed (a removal never is).
CLAIM_RECORDS = frozenset({"INSERT", "MODIFY"})
# Added to each delay: a check that arrives a little early only costs a second check.
DELAY_MARGIN_SECONDS = 5


class CheckQueue(Protocol):
    def send(self, event_ids: Sequence[str], delay_seconds: int) -> None:
        """Queue a check of `event_ids` after `delay_seconds` (the queue caps it)."""
        ...


@dataclass
class CheckSummary:
    """What one batch of checks found and did (`OrphansFound`, `OrphansDeleted` in metrics)."""

    applied: bool
    checked: int = 0
    orphans: int = 0
    orphans_deleted: int = 0
    orphans_kept: int = 0
    checked_again_later: int = 0

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    def add(self, other: "CheckSummary") -> None:
        self.checked += other.checked
        self.orphans += other.orphans
        self.orphans_deleted += other.orphans_deleted
        self.orphans_kept += other.orphans_kept
        self.checked_again_later += other.checked_again_later


def claimed_keys(records: Iterable[dict[str, Any]]) -> tuple[list[str], float | None]:
    """The eventIds of the stream records that may be claims, each once, and when the newest of
    them was made (epoch seconds; None when there is none)."""
    event_ids: dict[str, None] = {}
    newest: float | None = None
    for record in records:
        if record.get("eventName") not in CLAIM_RECORDS:
            continue
        change = record["dynamodb"]
        event_ids[change["Keys"]["eventId"]["S"]] = None
        made = float(change.get("ApproximateCreationDateTime", 0))
        newest = made if newest is None else max(newest, made)
    return list(event_ids), newest


def schedule(
    records: Iterable[dict[str, Any]],
    queue: CheckQueue,
    *,
    grace_seconds: int,
    clock: Callable[[], float] = time.time,
) -> int:
    """Queue a check of every claim among the stream `records`, due once the grace period of
    the newest has passed; how many eventIds were queued."""
    event_ids, newest = claimed_keys(records)
    if not event_ids:
        return 0
    age = clock() - (newest if newest is not None else clock())
    queue.send(event_ids, math.ceil(grace_seconds - age) + DELAY_MARGIN_SECONDS)
    return len(event_ids)


class ClaimChecker:
    def __init__(
        self,
        metadata: MetadataStore,
        details: DetailStore,
        queue: CheckQueue,
        *,
        grace_seconds: int,
        clock_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
    ) -> None:
        self._metadata = metadata
        self._details = details
        self._queue = queue
        self._grace_ms = grace_seconds * 1000
        self._clock_ms = clock_ms

    def check(self, event_ids: Sequence[str], *, apply: bool) -> CheckSummary:
        """Judge the items of `event_ids` that exist; queue again the orphans still in their
        grace period. An item gone already (committed and erased, released, deleted) needs
        nothing."""
        items = list(self._details.versions(event_ids).values())
        verdict = judge(
            self._metadata,
            self._details,
            items,
            grace_ms=self._grace_ms,
            clock_ms=self._clock_ms,
            apply=apply,
        )
        if verdict.young:
            due_ms = max(item.last_claim_ms or 0 for item in verdict.young) + self._grace_ms
            delay = math.ceil((due_ms - self._clock_ms()) / 1000) + DELAY_MARGIN_SECONDS
            self._queue.send([item.event_id for item in verdict.young], delay)
        ripe = len(verdict.orphans) - len(verdict.young)
        if ripe and not apply:
            logger.warning(
                "%d orphans past their grace period, left (EVENTLOG_RECONCILE_APPLY is off)", ripe
            )
        return CheckSummary(
            applied=apply,
            checked=len(event_ids),
            orphans=ripe,
            orphans_deleted=verdict.deleted,
            orphans_kept=len(verdict.kept),
            checked_again_later=len(verdict.young),
        )
