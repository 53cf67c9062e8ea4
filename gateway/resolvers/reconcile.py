"""The reconcile job: find what the write protocol can leave behind, and remove what is safe to.

Two kinds of damage, found by scanning each store against the other:

- details items with no row (orphans): a write that crashed after its claim, a commit that was
  in doubt and did not land, an erasure cut between its SQL commit and its DynamoDB deletes.
  They are invisible (SQL decides visibility) but hold data. With `apply`, an orphan is deleted
  once it was last claimed longer ago than the grace period, and only if no claim came since
  the scan read it (a conditional delete): a write in flight, or a retry that adopts the item,
  never loses its details.
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
from threading import Lock
from typing import Any

from persistence.deadline import remaining_seconds
from persistence.protocols import DetailStore, ItemVersion, MetadataStore

logger = logging.getLogger(__name__)

# Ids of each kind listed in the summary (the counts are complete).
SAMPLE_IDS = 20
# Rows checked against the details table per round of the rows' pass.
ROWS_PER_ROUND = 500
# The job stops starting pages when less than this is left of its deadline.
STOP_MARGIN_SECONDS = 10.0

Progress = Callable[[str, int], None]


@dataclass
class Summary:
    """What one run found and did; `complete` is False when the deadline cut it short."""

    applied: bool
    grace_seconds: int
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

    def run(self, *, apply: bool) -> Summary:
        summary = Summary(applied=apply, grace_seconds=self._grace_ms // 1000)
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
        rows = self._metadata.existing([item.event_id for item in page]) if page else set()
        orphans = [item for item in page if item.event_id not in rows]
        ripe = [item for item in orphans if (item.last_claim_ms or 0) < cutoff]
        deleted = self._details.delete_unchanged(ripe, before_ms=cutoff) if apply and ripe else 0
        with self._lock:
            summary.items_scanned += len(page)
            summary.orphans += len(orphans)
            summary.orphans_in_grace += len(orphans) - len(ripe)
            summary.orphans_deleted += deleted
            summary.orphans_kept += len(ripe) - deleted if apply else 0
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
