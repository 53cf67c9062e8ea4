"""The reconcile job: finish what erasures left unfinished, find what the write protocol can
leave behind, and remove what is safe to.

Every run, dry or not, first finishes the erasures whose rows were marked longer ago than the
grace period (a call that failed, or was cut short, and that its client never repeated): it
takes their rows over and runs the erasure's own steps (`erasure`). A user asked for those
erasures, and the API answered that they were not done; they must not wait for anyone to turn
`apply` on. Then it deletes the fences older than the grace period, which no write in flight
can still need.

Two kinds of damage, found by scanning each store against the other:

- details items with no event row (orphans): a write that crashed after its claim, a commit that
  was in doubt and did not land, a write racing an erasure that failed after its claim (its
  item is then under a fence). They are invisible (SQL decides visibility) but hold data. With
  `apply`, an orphan is deleted once it was last claimed longer ago than the grace period, and
  only if no claim came since the scan read it (a conditional delete): a write in flight, or a
  retry that adopts the item, never loses its details.
- rows with no details: damage from outside our writes (an item deleted by hand). Reads leave
  such an event out, and a replay of its POST restores the details; the job only reports them.

The scan runs in parallel `Scan` segments, and checks rows in batches of the page it read;
safe to run twice or concurrently (every deletion is conditional). The grace period must be
longer than any request may take (Settings holds it above the request timeout).
"""

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from threading import Lock
from typing import Any

from persistence.deadline import remaining_seconds
from persistence.protocols import DetailStore, Erasing, EventRecord, ItemVersion, MetadataStore
from resolvers.erasure import EventEraser

logger = logging.getLogger(__name__)

# Ids of each kind listed in the summary (the counts are complete).
SAMPLE_IDS = 20
# Rows checked against the details table per round of the rows' pass.
ROWS_PER_ROUND = 500
# The job stops starting pages when less than this is left of its deadline.
STOP_MARGIN_SECONDS = 10.0
# Rows of abandoned erasures finished, and fences purged, per round.
ROWS_PER_ERASURE_ROUND = 1000
FENCES_PER_PURGE = 1000

Progress = Callable[[str, int], None]


@dataclass
class Summary:
    """What one run found and did; `complete` is False when the deadline cut it short."""

    applied: bool
    grace_seconds: int
    erasures_finished: int = 0
    fences_purged: int = 0
    items_scanned: int = 0
    orphans: int = 0
    orphans_in_grace: int = 0
    orphans_deleted: int = 0
    orphans_kept: int = 0
    rows_scanned: int = 0
    rows_without_details: int = 0
    orphan_ids: list[str] = field(default_factory=list)
    bare_row_ids: list[str] = field(default_factory=list)
    complete: bool = True

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class Reconciler:
    def __init__(
        self,
        metadata: MetadataStore,
        details: DetailStore,
        *,
        grace_seconds: int,
        segments: int = 4,
        clock_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
        progress: Progress | None = None,
    ) -> None:
        self._metadata = metadata
        self._details = details
        self._grace_ms = grace_seconds * 1000
        self._segments = segments
        self._clock_ms = clock_ms
        self._progress = progress or (lambda _kind, _count: None)
        self._lock = Lock()
        grace = timedelta(milliseconds=self._grace_ms)
        self._eraser = EventEraser(metadata, details, grace=grace, clock=self._now)

    def run(self, *, apply: bool) -> Summary:
        summary = Summary(applied=apply, grace_seconds=self._grace_ms // 1000)
        self._finish_erasures(summary)
        self._purge_fences(summary)
        if not summary.complete:
            return summary
        with ThreadPoolExecutor(self._segments, thread_name_prefix="reconcile") as pool:
            parts = [
                pool.submit(copy_context().run, self._scan_segment, segment, summary, apply)
                for segment in range(self._segments)
            ]
            for part in parts:
                part.result()
        if summary.complete:
            self._check_rows(summary)
        return summary

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock_ms() / 1000, UTC)

    def _finish_erasures(self, summary: Summary) -> None:
        """Erasures marked before the grace period, in rounds, until a round finishes none."""
        before = self._now() - timedelta(milliseconds=self._grace_ms)
        while finished := self._eraser.finish_abandoned(before, ROWS_PER_ERASURE_ROUND):
            summary.erasures_finished += finished
            self._progress("erasures", finished)
            if _out_of_time():
                summary.complete = False
                return
        if summary.erasures_finished:
            logger.warning("finished %d abandoned erasures", summary.erasures_finished)

    def _purge_fences(self, summary: Summary) -> None:
        before = self._now() - timedelta(milliseconds=self._grace_ms)
        while True:
            purged = self._metadata.purge_fences(before, FENCES_PER_PURGE)
            summary.fences_purged += purged
            if purged < FENCES_PER_PURGE:
                return
            if _out_of_time():
                summary.complete = False
                return

    def _scan_segment(self, segment: int, summary: Summary, apply: bool) -> None:
        for page in self._details.scan(segment, self._segments):
            self._judge_items(page, summary, apply)
            if _out_of_time():
                summary.complete = False
                return

    def _judge_items(self, page: list[ItemVersion], summary: Summary, apply: bool) -> None:
        # The cutoff is taken before the rows are read: an item last claimed before it belongs
        # to a write that ended (committed or not) before this check could miss its row.
        cutoff = self._clock_ms() - self._grace_ms
        rows = self._metadata.get_many([item.event_id for item in page]) if page else {}
        # An item whose row is being erased is the erasure's to delete (finished above when
        # abandoned); one under a fence, or with no row, is an orphan.
        owned = {key for key, row in rows.items() if isinstance(row, EventRecord | Erasing)}
        orphans = [item for item in page if item.event_id not in owned]
        ripe = [item for item in orphans if (item.last_claim_ms or 0) < cutoff]
        kept = self._details.delete_unchanged(ripe, before_ms=cutoff) if apply and ripe else []
        deleted = len(ripe) - len(kept) if apply else 0
        with self._lock:
            summary.items_scanned += len(page)
            summary.orphans += len(orphans)
            summary.orphans_in_grace += len(orphans) - len(ripe)
            summary.orphans_deleted += deleted
            summary.orphans_kept += len(kept)
            room = SAMPLE_IDS - len(summary.orphan_ids)
            summary.orphan_ids += [item.event_id for item in orphans][: max(room, 0)]
        self._progress("items", len(page))

    def _check_rows(self, summary: Summary) -> None:
        after: str | None = None
        while event_ids := self._metadata.event_ids_after(after, ROWS_PER_ROUND):
            found = self._details.versions(event_ids)
            bare = [event_id for event_id in event_ids if event_id not in found]
            summary.rows_scanned += len(event_ids)
            summary.rows_without_details += len(bare)
            room = SAMPLE_IDS - len(summary.bare_row_ids)
            summary.bare_row_ids += bare[: max(room, 0)]
            self._progress("rows", len(event_ids))
            after = event_ids[-1]
            if _out_of_time():
                summary.complete = False
                return
        if summary.rows_without_details:
            logger.error("%d events have no details item", summary.rows_without_details)


def _out_of_time() -> bool:
    left = remaining_seconds()
    return left is not None and left < STOP_MARGIN_SECONDS
