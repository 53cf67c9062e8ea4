"""The reconcile job: finish what erasures left unfinished, and the audit sweep that finds what
the write protocol can leave behind across both stores.

Every run, dry or not, first finishes the erasures whose rows were marked longer ago than the
grace period (a call that failed, or was cut short, and that its client never repeated): it
takes their rows over and runs the erasure's own steps (`erasure`). A user asked for those
erasures, and the API answered that they were not done; they must not wait for anyone to turn
`apply` on. Then it deletes the fences older than the grace period, which no write in flight
can still need. Both are seeks in SQL: a run that does only this (`sweep=False`) is the cheap
hourly run.

Orphans come from recent claims only, and the delayed check of each claim finds them
(`claim_checks`) at a cost that follows the writes. The sweep remains for rare audits, and
finds two kinds of damage by scanning each store against the other:

- details items with no event row (orphans, `orphans.judge`): with `apply`, deleted once
  ripe, each with a conditional delete;
- rows with no details: damage from outside our writes (an item deleted by hand). Reads leave
  such an event out, and a replay of its POST restores the details; the job only reports them.

The scan runs in parallel `Scan` segments, each thread with a SQL connection of its own (the
job's doors size the pool), then walks the rows by eventId. It stops before its deadline and
hands back a `Checkpoint` (each segment's last key, then the rows' last eventId) from which the
next run resumes, so a table of any size is swept in as many runs as it takes. Safe to run twice
or concurrently (every deletion is conditional). The grace period must be longer than any
request may take (Settings holds it above the request timeout).
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

from jobs.orphans import judge
from persistence.deadline import remaining_seconds
from persistence.protocols import DetailStore, ItemVersion, MetadataStore
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
class Checkpoint:
    """Where a sweep resumes: for each scan segment, the eventId its last page ended after
    (`None`: not started) and whether it is finished; then the rows' pass's last eventId."""

    after: list[str | None]
    finished: list[bool]
    rows_after: str | None = None

    @classmethod
    def start(cls, segments: int) -> "Checkpoint":
        return cls([None] * segments, [False] * segments)

    @classmethod
    def from_json(cls, saved: dict[str, Any]) -> "Checkpoint":
        after, finished = list(saved["after"]), [bool(done) for done in saved["finished"]]
        if len(after) != len(finished) or not after:
            raise ValueError("a checkpoint names each segment once")
        return cls(after, finished, saved.get("rows_after"))

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def segments(self) -> int:
        return len(self.after)


@dataclass
class Summary:
    """What one run found and did; `complete` is False when the deadline cut it short."""

    applied: bool
    grace_seconds: int
    erasures_finished: int = 0
    # Rows still marked for erasure when the run ended (in flight, or left for the next run).
    erasures_pending: int = 0
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
    # Where the next run resumes the sweep; None once it is finished (or when none ran).
    checkpoint: dict[str, Any] | None = None

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

    def run(
        self,
        *,
        apply: bool,
        sweep: bool = True,
        resume: Checkpoint | None = None,
        saved: Callable[[Checkpoint], None] | None = None,
    ) -> Summary:
        """Finish abandoned erasures and purge old fences; then, with `sweep`, sweep both
        stores from `resume` (or from the start), calling `saved` with the checkpoint after
        each page. An incomplete run's summary carries the checkpoint to resume from."""
        summary = Summary(applied=apply, grace_seconds=self._grace_ms // 1000)
        self._run(summary, apply=apply, sweep=sweep, resume=resume, saved=saved)
        summary.erasures_pending = self._metadata.erasures_pending()
        return summary

    def _run(
        self,
        summary: Summary,
        *,
        apply: bool,
        sweep: bool,
        resume: Checkpoint | None,
        saved: Callable[[Checkpoint], None] | None,
    ) -> None:
        checkpoint = resume or Checkpoint.start(self._segments)
        self._finish_erasures(summary)
        self._purge_fences(summary)
        if not sweep:
            return
        if not summary.complete:
            summary.checkpoint = checkpoint.as_json()
            return
        save = saved or (lambda _checkpoint: None)
        scan = self._scan_segment
        with ThreadPoolExecutor(checkpoint.segments, thread_name_prefix="reconcile") as pool:
            parts = [
                pool.submit(copy_context().run, scan, segment, checkpoint, summary, apply, save)
                for segment in range(checkpoint.segments)
            ]
            for part in parts:
                part.result()
        if summary.complete:
            self._check_rows(checkpoint, summary, save)
        if not summary.complete:
            summary.checkpoint = checkpoint.as_json()

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

    def _scan_segment(
        self,
        segment: int,
        checkpoint: Checkpoint,
        summary: Summary,
        apply: bool,
        save: Callable[[Checkpoint], None],
    ) -> None:
        if checkpoint.finished[segment]:
            return
        pages = self._details.scan(segment, checkpoint.segments, after=checkpoint.after[segment])
        for page in pages:
            self._judge_items(page.items, summary, apply)
            with self._lock:
                checkpoint.after[segment] = page.resume_after
                checkpoint.finished[segment] = page.resume_after is None
                save(checkpoint)
            if page.resume_after is not None and _out_of_time():
                summary.complete = False
                return

    def _judge_items(self, page: list[ItemVersion], summary: Summary, apply: bool) -> None:
        verdict = judge(
            self._metadata,
            self._details,
            page,
            grace_ms=self._grace_ms,
            clock_ms=self._clock_ms,
            apply=apply,
        )
        with self._lock:
            summary.items_scanned += len(page)
            summary.orphans += len(verdict.orphans)
            summary.orphans_in_grace += len(verdict.young)
            summary.orphans_deleted += verdict.deleted
            summary.orphans_kept += len(verdict.kept)
            room = SAMPLE_IDS - len(summary.orphan_ids)
            summary.orphan_ids += [item.event_id for item in verdict.orphans][: max(room, 0)]
        self._progress("items", len(page))

    def _check_rows(
        self, checkpoint: Checkpoint, summary: Summary, save: Callable[[Checkpoint], None]
    ) -> None:
        while event_ids := self._metadata.event_ids_after(checkpoint.rows_after, ROWS_PER_ROUND):
            found = self._details.versions(event_ids)
            bare = [event_id for event_id in event_ids if event_id not in found]
            summary.rows_scanned += len(event_ids)
            summary.rows_without_details += len(bare)
            room = SAMPLE_IDS - len(summary.bare_row_ids)
            summary.bare_row_ids += bare[: max(room, 0)]
            self._progress("rows", len(event_ids))
            checkpoint.rows_after = event_ids[-1]
            save(checkpoint)
            if _out_of_time():
                summary.complete = False
                return
        if summary.rows_without_details:
            logger.error("%d events have no details item", summary.rows_without_details)


def _out_of_time() -> bool:
    left = remaining_seconds()
    return left is not None and left < STOP_MARGIN_SECONDS
