"""Erasure: an event, or a user's history a bounded number of events at a time. It is complete
when it answers 2xx, and resumable when it does not.

Three steps, each a store's own atomic write (SOLUTION.md, "Erasure"; tests/unit/
erasure_model.py explores every interleaving with writes of the same events, a retry, crashes
and the reconcile job):

1. Mark, in one SQL transaction: the rows become "being erased" by this call (its nonce). From
   that commit no read shows the events, and no write can record them: their eventIds stay
   taken. The items' versions are read just before, so the mark confirms that each version read
   belongs to a row this call erases.
2. Delete each details item if it is still at the version read (one read as absent: if it is
   still absent), 16 at a time. An item claimed meanwhile, by a write racing the erasure, is
   read and deleted again, but only while its row is still this call's: another call may have
   finished the erasure since, and a write recorded the event anew, whose details must stay.
3. Fence, in one SQL transaction: each row still marked by this call keeps only its eventId.
   A write whose claim came before the details were deleted meets the fence and claims again
   before it records the event anew (`writes`); fences go after the grace period.

A failure at any step answers 503 and leaves the rows marked: the same request again (a user's
rows being erased come first) takes them over and finishes, and the reconcile job finishes
erasures nobody repeats.

Store calls for n events when nothing races: one SELECT of their ids, ⌈n/100⌉ BatchGetItem of
the items' versions, one UPDATE (the mark) and its COMMIT, one DeleteItem per item (16 in
flight), one UPDATE (the fences), one DELETE (fences older than the grace period) and their
COMMIT.
"""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby

from persistence.deadline import reserving
from persistence.protocols import DetailStore, Erasing, ErasureMark, ItemVersion, MetadataStore
from schema.errors import StoreUnavailable

logger = logging.getLogger(__name__)

# Of a request's deadline, what the mark leaves for the deletes and the fences, and what the
# deletes leave for the fences.
DETAILS_RESERVE_SECONDS = 2.0
FENCE_RESERVE_SECONDS = 1.0
# Rounds of deletes: each one after the first follows writes that claimed an item meanwhile.
MAX_DELETE_ROUNDS = 3


@dataclass(frozen=True)
class Erasure:
    """What one call erased, and whether the user has events left."""

    user_id: str
    deleted: int
    more: bool


@dataclass(frozen=True)
class _Finished:
    fenced: int
    lost: list[str]  # eventIds another call took over meanwhile


class EventEraser:
    def __init__(
        self,
        metadata: MetadataStore,
        details: DetailStore,
        *,
        grace: timedelta,
        clock: Callable[[], datetime],
    ) -> None:
        self._metadata = metadata
        self._details = details
        self._grace = grace
        self._clock = clock

    def erase_user(self, user_id: str, limit: int) -> Erasure:
        """Up to `limit` of the user's events, those being erased first, then newest first."""
        event_ids = self._metadata.user_event_ids(user_id, limit + 1)
        deleted, left = self._erase(user_id, event_ids[:limit])
        return Erasure(user_id, deleted, more=len(event_ids) > limit or left)

    def erase_event(self, user_id: str, event_id: str) -> bool:
        """Whether the user had the event (recorded, or being erased) and this call erased it.
        Raises `StoreUnavailable` while another call is erasing it."""
        found = self._metadata.user_event_ids(user_id, 1, among=[event_id])
        deleted, left = self._erase(user_id, found)
        if left:
            raise StoreUnavailable("metadata")
        return deleted == 1

    def erase_events(self, user_id: str, event_ids: Sequence[str]) -> int:
        """The user's events among `event_ids`, erased in the three steps (the retention job's
        duty); how many became fences. A failure raises and leaves the rows marked, for the
        next run to finish once the grace period is over."""
        return self._erase(user_id, event_ids)[0]

    def finish_abandoned(self, before: datetime, limit: int) -> int:
        """Erasures whose rows were marked before `before` and never finished (the reconcile
        job's duty): up to `limit` rows; how many became fences."""
        erasing = sorted(self._metadata.abandoned_erasures(before, limit), key=_owner)
        finished = 0
        for owner, rows in groupby(erasing, key=_owner):
            event_ids = [row.event_id for row in rows]
            versions = self._details.versions(event_ids)
            mark = self._metadata.take_over(owner, event_ids, at=self._clock())
            finished += self._finish(mark, versions).fenced
        return finished

    def _erase(self, user_id: str, event_ids: Sequence[str]) -> tuple[int, bool]:
        """How many of the user's `event_ids` this call erased, and whether another call took
        some over and has not finished them yet."""
        if not event_ids:
            return 0, False
        versions = self._details.versions(event_ids)
        with reserving(DETAILS_RESERVE_SECONDS):
            mark = self._metadata.mark_erasing(user_id, event_ids, at=self._clock())
        finished = self._finish(mark, versions)
        left = bool(finished.lost) and bool(
            self._metadata.user_event_ids(user_id, len(finished.lost), among=finished.lost)
        )
        return finished.fenced, left

    def _finish(self, mark: ErasureMark, versions: dict[str, ItemVersion]) -> _Finished:
        """Steps 2 and 3 for the rows of `mark`."""
        pending = list(mark.event_ids)
        deleted: list[str] = []
        rounds = 0
        with reserving(FENCE_RESERVE_SECONDS):
            while pending:
                rounds += 1
                read = [versions.get(key) or ItemVersion.absent(key) for key in pending]
                changed = set(self._details.delete_unchanged(read))
                deleted += [key for key in pending if key not in changed]
                if not changed:
                    break
                if rounds == MAX_DELETE_ROUNDS:
                    logger.warning("details of %d erased events kept changing", len(changed))
                    raise StoreUnavailable("details")
                # The versions first, then whether the rows are still this call's: a fence
                # made after that check (and a write's claim after the fence) is newer than
                # the versions, so the next deletes keep what such a write claimed.
                versions = self._details.versions(sorted(changed))
                pending = sorted(self._metadata.still_marked(mark, sorted(changed)))
        now = self._clock()
        fenced = (
            self._metadata.fence(mark, deleted, at=now, purge_before=now - self._grace)
            if deleted
            else 0
        )
        surely = set(deleted) if fenced == len(deleted) else set()
        return _Finished(
            fenced, [event_id for event_id in mark.event_ids if event_id not in surely]
        )


def _owner(row: Erasing) -> str:
    return row.owner
