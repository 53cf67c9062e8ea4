"""GraphQL types: the Event, its Relay connection, and the recordEvent input and payload."""

from enum import Enum
from typing import Any

import strawberry

from gateway.graphql.scalars import JSON, DateTime
from persistence.protocols import EventRecord
from schema.events import Event as StoredEvent
from schema.outcome import Outcome


@strawberry.type(description="One recorded event.")
class Event:
    """Every field is an attribute (graphql-core reads it, `execution.py`): an Event is built
    with its details when the query asks for them (`schema._names_asked`), and without them
    (None) when it does not, so `details` is never read then."""

    event_id: strawberry.ID
    user_id: str
    event_type: str
    timestamp: DateTime
    received_at: DateTime = strawberry.field(description="Server time of the first store.")
    details: JSON = strawberry.field(description="The event's JSON details, as recorded.")

    @classmethod
    def from_record(cls, record: EventRecord, details: dict[str, Any] | None = None) -> "Event":
        """Its metadata, and its details when they were loaded (None when not asked for)."""
        return cls(
            event_id=strawberry.ID(record.event_id),
            user_id=record.user_id,
            event_type=record.event_type,
            timestamp=DateTime(record.timestamp),
            received_at=DateTime(record.received_at),
            details=JSON(details),
        )

    @classmethod
    def from_event(cls, event: StoredEvent) -> "Event":
        """An event the resolver layer already joined (what recordEvent answers)."""
        return cls(
            event_id=strawberry.ID(str(event.event_id)),
            user_id=event.user_id,
            event_type=event.event_type,
            timestamp=DateTime(event.timestamp),
            received_at=DateTime(event.received_at),
            details=JSON(event.details),
        )


@strawberry.type
class EventEdge:
    """`cursor` is signed only when the query asks for it (else it is empty and never read)."""

    node: Event
    cursor: str


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool = strawberry.field(
        description="Always false: pages are walked forward with `after`."
    )
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(description="A page of a user's events, newest first (Relay connection).")
class EventConnection:
    edges: list[EventEdge]
    page_info: PageInfo

    @strawberry.field
    def nodes(self) -> list[Event]:
        return [edge.node for edge in self.edges]


@strawberry.input(description="The fields of `POST /events`, with the same rules.")
class RecordEventInput:
    user_id: str
    event_type: str
    event_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Your idempotency key (a UUID)."
    )
    timestamp: DateTime | None = strawberry.UNSET
    details: JSON | None = strawberry.UNSET

    def as_body(self) -> dict[str, Any]:
        """The REST body this input stands for: absent fields stay absent."""
        fields = {
            "eventId": self.event_id,
            "userId": self.user_id,
            "eventType": self.event_type,
            "timestamp": self.timestamp,
            "details": self.details,
        }
        return {name: value for name, value in fields.items() if value is not strawberry.UNSET}


@strawberry.enum
class RecordOutcome(Enum):
    """`recordEvent`'s outcome: `schema.outcome.Outcome` narrowed to the two a payload can hold
    (the others are answered as errors); its own GraphQL enum in the published schema."""

    CREATED = "CREATED"
    REPLAYED = "REPLAYED"


# GraphQL's EventOutcome is schema.outcome.Outcome itself, registered with Strawberry here.
strawberry.enum(
    Outcome, name="EventOutcome", description="What became of one event of `recordEvents`."
)


@strawberry.type(description="One rule an input broke, as in BAD_USER_INPUT's `errors`.")
class InputProblem:
    field: str
    message: str
    code: str


@strawberry.type(description="The fate of one input of `recordEvents`, at its place in the list.")
class RecordEventsResult:
    index: int
    outcome: Outcome
    event: Event | None = strawberry.field(description="CREATED and REPLAYED only.")
    code: str | None = strawberry.field(
        description="The `extensions.code` recordEvent would have answered: CONFLICT, "
        "BAD_USER_INPUT or FORBIDDEN."
    )
    message: str | None
    errors: list[InputProblem] | None = strawberry.field(description="BAD_USER_INPUT's rules.")


@strawberry.type
class RecordEventPayload:
    outcome: RecordOutcome = strawberry.field(
        description="CREATED, or REPLAYED when this eventId was already stored with this content."
    )
    event: Event
