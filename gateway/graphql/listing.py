"""The arguments of `Query.events`, read into the listing the shared rules check (`parse_listing`).

The type filter has two arguments: `eventType: String` (one type, deprecated, kept because
queries declaring `$t: String` were written against it) and `eventTypes: [String!]` (any of
several). Both name the same rule, REST's `eventType`; giving both is refused rather than
combined, so no query means something its author did not write. Errors name the argument the
client gave."""

from dataclasses import replace

from schema.errors import FieldError, InvalidInput
from schema.events import EventListQuery, parse_listing

ONE_TYPE = "eventType"
SEVERAL_TYPES = "eventTypes"
BOTH_TYPE_FILTERS = f"Give `{ONE_TYPE}` or `{SEVERAL_TYPES}`, not both."


def parse_events_arguments(
    user_id: str,
    *,
    first: int | None,
    after: str | None,
    event_type: str | None,
    event_types: list[str] | None,
    start: object,
    end: object,
) -> EventListQuery:
    """The listing, or InvalidInput naming every offending argument at once (both type filters
    given is one more offence beside the others). `start` and `end` come as the client wrote
    them (the DateTime scalar leaves them to the shared rules)."""
    both = [
        FieldError(name, BOTH_TYPE_FILTERS, "mutually_exclusive")
        for name in (ONE_TYPE, SEVERAL_TYPES)
        if event_type is not None and event_types is not None
    ]
    listed = event_types is not None
    single = [] if event_type is None else [event_type]
    types = event_types if event_types is not None else single
    given = {"limit": first, "cursor": after, "from": start, "to": end}
    try:
        query = parse_listing(
            user_id,
            {name: [value] for name, value in given.items() if value is not None}
            | {"eventType": types},
        )
    except InvalidInput as invalid:
        renamed = [_as_given(error, listed) for error in invalid.errors]
        raise InvalidInput(both + renamed) from None
    if both:
        raise InvalidInput(both)
    return query


def _as_given(error: FieldError, listed: bool) -> FieldError:
    """The rules name the filter as REST does (`eventType`, `eventType[1]`); a client that sent
    the list reads `eventTypes`, `eventTypes[1]`."""
    if listed and error.field.partition("[")[0] == ONE_TYPE:
        return replace(error, field=SEVERAL_TYPES + error.field[len(ONE_TYPE) :])
    return error
