"""What became of one event a client sent, by `POST /events`, a batch, `recordEvent` or
`recordEvents`: one `Outcome` for every door (REST's `outcome`, GraphQL's in capitals), and the
`EventResult` that carries it with the stored event or the error a single write would answer."""

from dataclasses import dataclass
from enum import StrEnum

from schema.errors import EventLogError
from schema.events import Event


class Outcome(StrEnum):
    CREATED = "created"  # stored now
    REPLAYED = "replayed"  # already stored with this content: nothing written
    CONFLICT = "conflict"  # its eventId is stored with other content: nothing changed
    INVALID = "invalid"  # breaks a rule: the errors are those of a single POST's 422
    FORBIDDEN = "forbidden"  # the caller may not record for its userId


@dataclass(frozen=True)
class EventResult:
    """One event's outcome: the stored event (created, replayed), or the error that a single
    write would have answered (conflict, invalid, forbidden)."""

    outcome: Outcome
    event: Event | None = None
    error: EventLogError | None = None

    @property
    def created(self) -> bool:
        return self.outcome is Outcome.CREATED

    def stored(self) -> Event:
        """The stored event (created, replayed); the error a single write answers otherwise."""
        if self.error is not None:
            raise self.error
        assert self.event is not None
        return self.event
