"""The API's event types: what a client sends, what it reads, and the rules between the two.

`parse_event_create` is the single entry for a new event from any transport: REST and GraphQL
both hand it the raw JSON object and get an `EventCreate` or an `InvalidInput` listing every
offending field.
"""

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any, Self
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
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
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

from schema.details import WalkedDetails, walk_details
from schema.errors import FieldError, InvalidInput
from schema.jsonvalue import (
    MAX_WALKED_DEPTH,
    NestsTooDeep,
    NonFiniteNumber,
    canonical_json,
    nests_past,
)
from schema.limits import (
    DEFAULT_PAGE_LIMIT,
    EARLIEST_TIMESTAMP,
    EVENT_TYPE_PATTERN,
    MAX_EVENT_TYPES,
    MAX_PAGE_LIMIT,
    MAX_REPORTED_ERRORS,
    USER_ID_PATTERN,
    Limits,
)
from schema.times import parse_rfc3339, utc_clamped

# The one example event the models, the OpenAPI description and docs/rest.md all show.
EXAMPLE_EVENT_ID = "3f2b8a4e-5c1d-4e8f-9a7b-1c2d3e4f5a6b"
EXAMPLE_USER_ID = "user-42"

USER_ID_RULES = "1-128 characters from `A-Z a-z 0-9 . _ : @ + | = -`."
NEW_USER_ID_RULES = "1-128 characters from `A-Z a-z 0-9 . _ : @ + | = -`, other than `.` and `..`."
UserId = Annotated[
    str,
    StringConstraints(pattern=USER_ID_PATTERN),
    Field(description=USER_ID_RULES, examples=[EXAMPLE_USER_ID]),
]
DOT_SEGMENTS = (".", "..")


def _not_a_dot_segment(user_id: str) -> str:
    """A URL's path cannot carry `.` or `..` as a segment (clients resolve them away), so REST could
    neither read nor erase a user of that id: no new event takes one."""
    if user_id in DOT_SEGMENTS:
        raise PydanticCustomError(
            "dot_segment", "`.` and `..` cannot be a userId: a URL's path cannot carry them"
        )
    return user_id


NewUserId = Annotated[
    str,
    StringConstraints(pattern=USER_ID_PATTERN),
    AfterValidator(_not_a_dot_segment),
    Field(
        description=NEW_USER_ID_RULES,
        examples=[EXAMPLE_USER_ID],
        json_schema_extra={"not": {"enum": list(DOT_SEGMENTS)}},
    ),
]
EventType = Annotated[
    str,
    StringConstraints(pattern=EVENT_TYPE_PATTERN),
    Field(
        description="1-64 characters: a letter, then letters, digits, `_ . : -`.",
        examples=["page_view"],
    ),
]
# Every date-time a client sends: RFC 3339 with an offset, read by the one parser in schema.
ClientDateTime = Annotated[AwareDatetime, BeforeValidator(parse_rfc3339)]


def format_timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with a Z and microseconds: one fixed shape clients can rely on."""
    utc = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    return utc.isoformat(timespec="microseconds")[:-6] + "Z"  # "+00:00" written as "Z"


class _CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class EventCreate(_CamelModel):
    """The body of `POST /events`."""

    model_config = ConfigDict(extra="forbid")

    event_id: UUID | None = Field(
        None,
        description=(
            "A UUID, your idempotency key (any case, braces allowed; answered in canonical "
            "lowercase). Default: one the server makes."
        ),
        examples=[EXAMPLE_EVENT_ID],
    )
    user_id: NewUserId
    event_type: EventType
    timestamp: ClientDateTime | None = Field(
        None,
        description=(
            "When it happened: RFC 3339 with an explicit offset (`Z` or `+01:00`), from "
            "1970-01-01T00:00:00Z to 24 h ahead of the server's clock. Default: when it was "
            "received."
        ),
        examples=["2026-11-24T09:30:00.250+01:00"],
    )
    details: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "Any JSON object, stored and returned as sent, numbers equal in value (see Limits). "
            "At most 64 KiB as compact UTF-8 JSON and 32 levels deep. Default (also for "
            "`null`): `{}`."
        ),
        examples=[{"page": "/pricing", "durationMs": 5120}],
    )

    @field_validator("details", mode="before")
    @classmethod
    def _null_details_are_none(cls, value: Any) -> Any:
        """`null` is the same as leaving details out, as it is for eventId and timestamp (and
        GraphQL's nullable `details: JSON`)."""
        return {} if value is None else value

    @field_validator("timestamp")
    @classmethod
    def _timestamp_in_range(cls, value: datetime | None, info: Any) -> datetime | None:
        if value is None:
            return None
        limits: Limits = info.context["limits"]
        now: datetime = info.context["now"]
        if value < EARLIEST_TIMESTAMP:
            raise PydanticCustomError(
                "timestamp_out_of_range", "timestamp must not be before 1970-01-01T00:00:00Z"
            )
        if value > now + limits.max_future_skew:
            raise PydanticCustomError(
                "timestamp_out_of_range",
                f"timestamp must not be more than {limits.max_future_seconds} s in the future",
            )
        return utc_clamped(value)

    def content_hash(self) -> str:
        """What makes two requests "the same event" (the timestamp is compared on its own)."""
        content = {"userId": self.user_id, "eventType": self.event_type, "details": self.details}
        return hashlib.sha256(canonical_json(content)).hexdigest()


# `format_timestamp` serializes to str, which would leave the format out of the schema.
_SERIALIZED_AS_DATE_TIME: JsonDict = {"format": "date-time"}


class Event(_CamelModel):
    """An event as clients read it."""

    event_id: UUID = Field(
        description="The event's id: the one you gave, or one the server made.",
        examples=[EXAMPLE_EVENT_ID],
    )
    user_id: str = Field(description="Whose event it is.", examples=[EXAMPLE_USER_ID])
    event_type: str = Field(description="What happened.", examples=["page_view"])
    timestamp: datetime = Field(
        description="When it happened, in UTC with microseconds.",
        examples=["2026-11-24T08:30:00.250000Z"],
        json_schema_extra=_SERIALIZED_AS_DATE_TIME,
    )
    received_at: datetime = Field(
        description="When the server first stored it, in UTC; a replay does not change it.",
        examples=["2026-11-24T08:30:01.004117Z"],
        json_schema_extra=_SERIALIZED_AS_DATE_TIME,
    )
    details: dict[str, Any] = Field(
        description=(
            "The JSON object as it was sent; numbers keep their value and every significant "
            "digit, spelled one way (see Limits)."
        ),
        examples=[{"page": "/pricing", "durationMs": 5120, "price": 19.9}],
    )

    @field_serializer("timestamp", "received_at")
    def _utc(self, moment: datetime) -> str:
        return format_timestamp(moment)

    @classmethod
    def trusted(
        cls,
        event_id: UUID,
        user_id: str,
        event_type: str,
        timestamp: datetime,
        received_at: datetime,
        details: dict[str, Any],
    ) -> "Event":
        """An Event of parts already validated (a stored event): what `model_construct` makes,
        without its per-field bookkeeping, which is paid per event of a page of 1,000 or a
        batch of 500 (docs/performance.md). It sets the attributes pydantic's own
        `model_construct` sets; a test holds the two equal."""
        event = object.__new__(cls)
        _set(
            event,
            "__dict__",
            {
                "event_id": event_id,
                "user_id": user_id,
                "event_type": event_type,
                "timestamp": timestamp,
                "received_at": received_at,
                "details": details,
            },
        )
        _set(event, "__pydantic_fields_set__", set(_EVENT_FIELDS))
        _set(event, "__pydantic_extra__", None)
        _set(event, "__pydantic_private__", None)
        return event

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict keeping the details' Decimals (FastAPI's encoder would float them),
        built directly: the shape is fixed, and a model round trip is a large share of a POST's
        cost (docs/performance.md)."""
        return {
            "eventId": str(self.event_id),
            "userId": self.user_id,
            "eventType": self.event_type,
            "timestamp": format_timestamp(self.timestamp),
            "receivedAt": format_timestamp(self.received_at),
            "details": self.details,
        }


_set = object.__setattr__
_EVENT_FIELDS = frozenset(Event.model_fields)


class EventPage(_CamelModel):
    user_id: str = Field(description="The user whose events these are.", examples=[EXAMPLE_USER_ID])
    events: list[Event] = Field(description="Newest first; empty for a user with none.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; `null` on the last page."
    )

    def to_json(self) -> dict[str, Any]:
        return {
            "userId": self.user_id,
            "events": [event.to_json() for event in self.events],
            "nextCursor": self.next_cursor,
        }


class EventListQuery(_CamelModel):
    """Filters and paging of a user's history (`GET /events/{userId}`, `Query.events`)."""

    limit: int = Field(
        DEFAULT_PAGE_LIMIT,
        ge=1,
        le=MAX_PAGE_LIMIT,
        description=f"Events per page: 1 to {MAX_PAGE_LIMIT}.",
        examples=[20],
    )
    cursor: str | None = Field(
        None,
        description=(
            "The previous page's `nextCursor`, unchanged, with the same `userId` and filters."
        ),
    )
    event_types: list[EventType] = Field(
        default_factory=list,
        alias="eventType",
        max_length=MAX_EVENT_TYPES,
        description=(
            f"Only events of these types (exact match): repeat the parameter for several, up to "
            f"{MAX_EVENT_TYPES}."
        ),
        examples=[["page_view", "click"]],
    )
    start: ClientDateTime | None = Field(
        None,
        alias="from",
        description="Only events at or after this date-time (RFC 3339 with an offset).",
        examples=["2026-11-01T00:00:00Z"],
    )
    end: ClientDateTime | None = Field(
        None,
        alias="to",
        description=(
            "Only events before this date-time (RFC 3339 with an offset); must be after `from`."
        ),
        examples=["2026-12-01T00:00:00Z"],
    )

    @model_validator(mode="after")
    def _window_is_ordered_in_utc(self) -> Self:
        if self.start and self.end and self.start >= self.end:
            raise PydanticCustomError("window_order", "`from` must be earlier than `to`")
        # Any offset is accepted; the stores compare UTC instants (years 1-9999 only).
        self.start = self.start and utc_clamped(self.start)
        self.end = self.end and utc_clamped(self.end)
        return self


def parse_event_create(raw: Any, limits: Limits, now: datetime) -> EventCreate:
    """Validate a raw JSON body; raise `InvalidInput` naming every offending field.

    The details are walked once (`walk_details`), and the event keeps the walked document: its
    numbers in the one spelling that is checked, hashed, stored and answered. The model checks
    the other fields (and refuses `details` that are not an object)."""
    if not isinstance(raw, dict):
        raise InvalidInput([FieldError("", "the body must be a JSON object", "object_type")])
    walked: WalkedDetails | None = None
    not_finite: list[FieldError] = []
    for key, value in raw.items():
        if type(value) is str:  # the commonest value of every field but details
            continue
        if key == "details" and isinstance(value, dict):
            walked = walk_details(value, limits)
        elif nests_past(value, MAX_WALKED_DEPTH - 1):
            raise NestsTooDeep
        elif isinstance(value, NonFiniteNumber):
            message = f"{value.literal} is not a number JSON allows"
            not_finite.append(FieldError(key, message, "not_finite"))
    errors: list[FieldError] = []
    event: EventCreate | None = None
    try:
        fields = raw if walked is None else {**raw, "details": {}}
        event = EventCreate.model_validate(fields, context={"limits": limits, "now": now})
    except ValidationError as exc:
        errors.extend(field_errors(exc))
    if walked is not None:
        errors.extend(walked.errors)
    errors.extend(not_finite)
    if errors or event is None:
        raise InvalidInput(_unique(errors)[:MAX_REPORTED_ERRORS])
    event.details = (walked or walk_details({}, limits)).details
    return event


# The listing's parameters that take one value; `eventType` may repeat (an OR filter).
SINGLE_VALUED_PARAMETERS = ("limit", "cursor", "from", "to")


def parse_listing(user_id: str, given: Mapping[str, Sequence[Any]]) -> EventListQuery:
    """Validate a listing's userId and filters together, naming every offending one.

    `given` holds every value each parameter was given, in order (REST's query string may
    repeat a parameter; GraphQL gives at most one of each, and a list of event types)."""
    errors: list[FieldError] = []
    try:
        parse_user_id(user_id)
    except InvalidInput as exc:
        errors.extend(exc.errors)
    raw: dict[str, Any] = {}
    for name in SINGLE_VALUED_PARAMETERS:
        values = list(given.get(name, ()))
        if len(values) > 1:
            message = f"`{name}` is given {len(values)} times; give it once"
            errors.append(FieldError(name, message, "repeated_parameter"))
        elif values:
            raw[name] = values[0]
    if event_types := list(given.get("eventType", ())):
        raw["eventType"] = event_types
    try:
        query = EventListQuery.model_validate(raw)
    except ValidationError as exc:
        errors.extend(_listing_named(field_errors(exc), len(event_types)))
    if errors:
        raise InvalidInput(errors)
    return query


def _listing_named(errors: list[FieldError], event_types: int) -> list[FieldError]:
    """Errors named as a client wrote the parameters: a disordered window is the fault of both
    bounds (a form can mark each); one event type is `eventType`, several `eventType[n]`."""
    named = []
    for error in errors:
        if error.code == "window_order":
            named += [replace(error, field="from"), replace(error, field="to")]
        elif event_types == 1 and error.field == "eventType[0]":
            named.append(replace(error, field="eventType"))
        else:
            named.append(error)
    return named


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
