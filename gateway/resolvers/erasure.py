"""Erasure: an event, or a user's history a bounded number of events at a time.

The SQL rows go first: the events stop being visible when that commit lands, and a failure
after it leaves only invisible details, which the reconcile job removes. Each details item is
then deleted only if no claim came since it was read, just before the rows went: a client
re-recording one of these events meanwhile (its eventId is free again once the row is gone)
keeps the details its new row needs. Hence conditional DeleteItem calls, several at a time,
rather than BatchWriteItem, which cannot be conditional.

Store calls for n events: one SELECT of their ids (a user's erasure), ⌈n/100⌉ BatchGetItem of
the items' versions, one DELETE and its COMMIT, and one DeleteItem per item (16 in flight).
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from persistence.deadline import reserving
from persistence.protocols import DetailStore, MetadataStore
from schema.errors import StoreUnavailable

logger = logging.getLogger(__name__)

# Of a request's deadline, what the rows' deletion leaves for deleting the details after it.
DETAILS_RESERVE_SECONDS = 2.0


@dataclass(frozen=True)
class Erasure:
    """What one call erased, and whether the user has events left."""

    user_id: str
    deleted: int
    more: bool


class EventEraser:
    def __init__(self, metadata: MetadataStore, details: DetailStore) -> None:
        self._metadata = metadata
        self._details = details

    def erase_user(self, user_id: str, limit: int) -> Erasure:
        """Up to `limit` of the user's events, newest first."""
        event_ids = self._metadata.user_event_ids(user_id, limit + 1)
        deleted = self.erase(user_id, event_ids[:limit])
        return Erasure(user_id, deleted, more=len(event_ids) > limit)

    def erase(self, user_id: str, event_ids: Sequence[str]) -> int:
        """Delete the user's events among `event_ids`; how many rows were deleted."""
        if not event_ids:
            return 0
        versions = self._details.versions(event_ids)
        with reserving(DETAILS_RESERVE_SECONDS):
            deleted = self._metadata.delete(user_id, event_ids)
        try:
            self._details.delete_unchanged([versions[i] for i in event_ids if i in versions])
        except StoreUnavailable:
            # The events are gone from every answer; their details are invisible orphans now.
            logger.warning("details of erased events left for the reconcile job")
        return deleted
