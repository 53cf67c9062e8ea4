"""Retention: events leave both stores a set number of days after they were received
(`receivedAt`, the API's own clock: a client's `timestamp` may be years old when it is sent, and
an event must not vanish the moment it is recorded).

Each old event goes as an erasure takes it (`erasure`): its row is marked (from then on no read
shows it, and no write can record it anew), its details are deleted, its row becomes a fence
that the grace period later removes. So no read ever shows an event without its details, and a
write racing the removal is handled as it is when racing an erasure.

The job works in bounded chunks, oldest first, a seek on the `received_at` index each (migration
0003), and stops before its deadline; the next run goes on from what is left. A run that died
mid-chunk leaves rows marked, invisible: every run first finishes those marked longer ago than
the grace period, as the reconcile job does.
"""

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

from persistence.deadline import remaining_seconds
from persistence.protocols import DetailStore, MetadataStore
from resolvers.erasure import EventEraser

logger = logging.getLogger(__name__)

# Events selected per chunk (each user's among them erased in one mark, one fence).
EVENTS_PER_CHUNK = 500
# Rows of abandoned erasures finished per round.
ROWS_PER_ERASURE_ROUND = 1000
# The job stops starting chunks when less than this is left of its deadline.
STOP_MARGIN_SECONDS = 10.0


@dataclass
class RetentionSummary:
    """What one run removed (`RetentionEventsRemoved` in metrics); `complete` is False when its
    deadline cut it short and old events may remain."""

    retention_days: int
    received_before: str
    events_removed: int = 0
    erasures_finished: int = 0
    # Rows still marked for erasure when the run ended (in flight, or left for the next run).
    erasures_pending: int = 0
    complete: bool = True

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class Retention:
    def __init__(
        self,
        metadata: MetadataStore,
        details: DetailStore,
        *,
        days: int,
        grace_seconds: int,
        clock: Callable[[], datetime],
        events_per_chunk: int = EVENTS_PER_CHUNK,
    ) -> None:
        self._metadata = metadata
        self._days = days
        self._grace = timedelta(seconds=grace_seconds)
        self._clock = clock
        self._chunk = events_per_chunk
        self._eraser = EventEraser(metadata, details, grace=self._grace, clock=clock)

    def run(self) -> RetentionSummary:
        now = self._clock()
        cutoff = now - timedelta(days=self._days)
        summary = RetentionSummary(self._days, cutoff.isoformat())
        self._remove(summary, now, cutoff)
        summary.erasures_pending = self._metadata.erasures_pending()
        return summary

    def _remove(self, summary: RetentionSummary, now: datetime, cutoff: datetime) -> None:
        before = now - self._grace
        while finished := self._eraser.finish_abandoned(before, ROWS_PER_ERASURE_ROUND):
            summary.erasures_finished += finished
            if _out_of_time():
                summary.complete = False
                return
        while chunk := self._metadata.received_before(cutoff, self._chunk):
            removed = 0
            for user_id, rows in groupby(sorted(chunk), key=lambda row: row[0]):
                removed += self._eraser.erase_events(user_id, [event_id for _, event_id in rows])
            summary.events_removed += removed
            if removed == 0:
                # Each of them taken by another call meanwhile (an erasure, another run).
                logger.warning("retention removed none of a chunk of %d events", len(chunk))
                summary.complete = False
                break
            if _out_of_time():
                summary.complete = False
                break


def _out_of_time() -> bool:
    left = remaining_seconds()
    return left is not None and left < STOP_MARGIN_SECONDS
