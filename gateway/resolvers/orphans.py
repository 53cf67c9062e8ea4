"""Which details items are orphans, and removing those that are safe to remove: the one
judgement behind both ways the reconcile job finds them (the delayed check of each claim, and
the audit sweep of the whole table).

An item is an orphan when its eventId has no row, or only a fence: a write that crashed after
its claim, a commit that was in doubt and did not land, a write racing an erasure that failed
after its claim. An item whose row is an event is that event's details; one whose row is being
erased is the erasure's to delete (the job finishes abandoned erasures itself).

An orphan is ripe once it was last claimed before the cutoff, which is taken *before* the rows
are read: a write relying on a claim made before the cutoff ended (committed or not) before the
rows were read, since the grace period is longer than any request may take (Settings holds it
so), so its row, if committed, was seen. The deletion is conditional on the version read (the
same `claimToken`) and on `lastClaimAt` still before the cutoff: a retry that adopts the item
meanwhile changes both, and the item is kept.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from persistence.protocols import DetailStore, Erasing, EventRecord, ItemVersion, MetadataStore


@dataclass(frozen=True)
class Verdict:
    """What a look at some items found: the orphans, those of them still within the grace
    period (left alone), how many were deleted, and the eventIds kept because a claim came
    since they were read."""

    orphans: list[ItemVersion]
    young: list[ItemVersion]
    deleted: int
    kept: list[str]


def judge(
    metadata: MetadataStore,
    details: DetailStore,
    items: Sequence[ItemVersion],
    *,
    grace_ms: int,
    clock_ms: Callable[[], int],
    apply: bool,
) -> Verdict:
    """Find the orphans among `items` (existing items' versions) and, with `apply`, delete the
    ripe ones that no claim has touched since."""
    if not items:
        return Verdict([], [], 0, [])
    cutoff = clock_ms() - grace_ms
    rows = metadata.get_many([item.event_id for item in items])
    owned = {key for key, row in rows.items() if isinstance(row, EventRecord | Erasing)}
    orphans = [item for item in items if item.event_id not in owned]
    ripe = [item for item in orphans if (item.last_claim_ms or 0) < cutoff]
    young = [item for item in orphans if (item.last_claim_ms or 0) >= cutoff]
    kept = details.delete_unchanged(ripe, before_ms=cutoff) if apply and ripe else []
    return Verdict(orphans, young, len(ripe) - len(kept) if apply else 0, kept)
