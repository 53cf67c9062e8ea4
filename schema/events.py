"""The API's event types: what a client sends, what it reads, and the rules between the two.

`parse_event_create` is the single entry for a new event from any transport: REST and GraphQL
both hand it the raw JSON object and get an `EventCreate` or an `InvalidInput` listing every
offending field.
"""

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Self
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    field_serializer,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from schema.details import check_details
from schema.errors import FieldError, InvalidInput
from schema.jsonvalue import NonFiniteNumber, canonical_json
from schema.limits import (
    DEFAULT_PAGE_LIMIT,
    EARLIEST_TIMESTAMP,
    EVENT_TYPE_PATTERN,
    MAX_PAGE_LIMIT,
    MAX_REPORTED_ERRORS,
    USER_ID_PATTERN,
    Limits,
)

UserId = Annotated[
    str,
    StringConstraints(pattern=USER_ID_PATTERN),
    Field(description="1-128 characters from A-Z a-z 0-9 . _ : @ + | = -", examples=["user-42"]),
]
EventType = Annotated[
    str,
    StringConstraints(pattern=EVENT_TYPE_PATTERN),
    Field(
        description="1-64 characters: a letter, then letters, digits, _ . : -",
        examples=["page_view"],
    ),
]


def format_timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with a Z and microseconds: one fixed shape clients can rely on."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class _CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class EventCreate(_CamelModel):
    """The body of `POST /events`."""

    model_config = ConfigDict(extra="forbid")

    event_id: UUID | None = Field(
        None, description="Your idempotency key; the server makes one when absent."
    )
    user_id: UserId
    event_type: EventType
    timestamp: AwareDatetime | None = Field(
        None,
        description="When it happened, with an explicit offset; default: when it was received.",
        examples=["2026-11-24T09:30:00.250+01:00"],
    )
    details: dict[str, Any] = Field(
        default_factory=dict,
        description="Any JSON object: at most 64 KiB as compact JSON, 32 levels deep.",
        examples=[{"page": "/pricing", "durationMs": 5120}],
    )

    @field_validator("timestamp", mode="before")
    @classmethod
    def _timestamp_is_text(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, str):
            raise ValueError("timestamp must be an RFC 3339 date-time string")
        return value

    @field_validator("timestamp")
    @classmethod
    def _timestamp_in_range(cls, value: datetime | None, info: Any) -> datetime | None:
        if value is None:
            return None
        limits: Limits = info.context["limits"]
        now: datetime = info.context["now"]
        if value < EARLIEST_TIMESTAMP:
            raise ValueError("timestamp must not be before 1970-01-01T00:00:00Z")
        if value > now + limits.max_future_skew:
            raise ValueError(
                f"timestamp must not be more than {limits.max_future_seconds} s in the future"
            )
        return value.astimezone(UTC)

    def content_hash(self) -> str:
        """What makes two requests "the same event" (the timestamp is compared on its own)."""
        content = {"userId": self.user_id, "eventType": self.event_type, "details": self.details}
        return hashlib.sha256(canonical_json(content)).hexdigest()


class Event(_CamelModel):
    """An event as clients read it."""

    event_id: UUID
    user_id: str
    event_type: str
    timestamp: datetime = Field(examples=["2026-11-24T08:30:00.250000Z"])
    received_at: datetime = Field(
        description="Server time of the first store.", examples=["2026-11-24T08:30:01.004117Z"]
    )
    details: dict[str, Any]

    @field_serializer("timestamp", "received_at")
    def _utc(self, moment: datetime) -> str:
        return format_timestamp(moment)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict keeping the details' Decimals (FastAPI's encoder would float them)."""
        return self.model_dump(mode="python", by_alias=True) | {"eventId": str(self.event_id)}


class EventPage(_CamelModel):
    user_id: str
    events: list[Event]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )

    def to_json(self) -> dict[str, Any]:
        return {
            "userId": self.user_id,
            "events": [event.to_json() for event in self.events],
            "nextCursor": self.next_cursor,
        }


class EventListQuery(_CamelModel):
    """Filters and paging of a user's history (`GET /events/{userId}`, `Query.events`)."""

    limit: int = Field(DEFAULT_PAGE_LIMIT, ge=1, le=MAX_PAGE_LIMIT)
    cursor: str | None = Field(None, description="`nextCursor` of the previous page.")
    event_type: EventType | None = None
    start: AwareDatetime | None = Field(None, alias="from", description="Inclusive lower bound.")
    end: AwareDatetime | None = Field(None, alias="to", description="Exclusive upper bound.")

    @model_validator(mode="after")
    def _window_is_ordered(self) -> Self:
        if self.start and self.end and self.start >= self.end:
            raise ValueError("`from` must be earlier than `to`")
        return self


def parse_event_create(raw: Any, limits: Limits, now: datetime) -> EventCreate:
    """Validate a raw JSON body; raise `InvalidInput` naming every offending field."""
    if not isinstance(raw, dict):
        raise InvalidInput([FieldError("", "the body must be a JSON object", "object_type")])
    errors: list[FieldError] = []
    event: EventCreate | None = None
    try:
        event = EventCreate.model_validate(raw, context={"limits": limits, "now": now})
    except ValidationError as exc:
        errors.extend(field_errors(exc))
    details = raw.get("details")
    if isinstance(details, dict):
        errors.extend(check_details(details, limits))
    for key, value in raw.items():
        if key != "details" and isinstance(value, NonFiniteNumber):
            errors.append(
                FieldError(key, f"{value.literal} is not a number JSON allows", "not_finite")
            )
    if errors or event is None:
        raise InvalidInput(_unique(errors)[:MAX_REPORTED_ERRORS])
    return event


def parse_listing(user_id: str, raw: dict[str, Any]) -> EventListQuery:
    """Validate a listing's userId and filters together, naming every offending one."""
    errors: list[FieldError] = []
    try:
        parse_user_id(user_id)
    except InvalidInput as exc:
        errors.extend(exc.errors)
    try:
        query = EventListQuery.model_validate(raw)
    except ValidationError as exc:
        errors.extend(field_errors(exc))
    if errors:
        raise InvalidInput(errors)
    return query


def parse_user_id(user_id: str) -> str:
    """The path/argument form of the userId rule (the same annotated type the models use)."""
    try:
        return _USER_ID.validate_python(user_id)
    except ValidationError as exc:
        raise InvalidInput(
            [FieldError("userId", error.message, error.code) for error in field_errors(exc)]
        ) from exc


_USER_ID: TypeAdapter[str] = TypeAdapter(UserId)


def field_errors(exc: ValidationError) -> list[FieldError]:
    """Pydantic's errors in the API's shape: dotted camelCase paths, message, code."""
    return [field_error(error, error["loc"]) for error in exc.errors(include_url=False)]


def field_error(error: Mapping[str, Any], location: Sequence[int | str]) -> FieldError:
    """One pydantic-style error (ours, or FastAPI's for query and path) at `location`."""
    message = str(error["msg"]).removeprefix("Value error, ")
    return FieldError(dotted_path(location), message, str(error["type"]))


def dotted_path(location: Sequence[int | str]) -> str:
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


def _unique(errors: list[FieldError]) -> list[FieldError]:
    return list(dict.fromkeys(errors))
