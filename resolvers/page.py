"""One page of a user's events as both doors show it: REST's `EventPage` and GraphQL's
`EventConnection` are read from the same `Page`, so paging (the extra row that tells whether
more follow, the cursor after a row, the rows left out) is done once."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from persistence.protocols import EventRecord


@dataclass(frozen=True)
class Page:
    """`records`: the page's rows, newest first; `details`: their details items when they were
    asked for (else empty); `has_next`: whether rows follow the last one."""

    records: list[EventRecord]
    details: dict[str, dict[str, Any]]
    with_details: bool
    has_next: bool
    cursor_after: Callable[[EventRecord], str]

    def shown(self) -> Iterator[tuple[EventRecord, dict[str, Any] | None]]:
        """The rows a client may see, each with its details when they were asked for: a row
        whose details item is gone is left out (the resolver logs it), by both doors alike."""
        for record in self.records:
            if not self.with_details:
                yield record, None
            elif record.event_id in self.details:
                yield record, self.details[record.event_id]

    @property
    def end_cursor(self) -> str | None:
        """After the page's last row, shown or not: the walk goes on past it."""
        return self.cursor_after(self.records[-1]) if self.records else None

    @property
    def next_cursor(self) -> str | None:
        """The cursor of the next page, when there is one (REST's `nextCursor`)."""
        return self.end_cursor if self.has_next else None
