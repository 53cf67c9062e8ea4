"""The one reader of date-times from clients: RFC 3339 with an explicit offset, nothing else.

The body's `timestamp`, the query's `from`/`to` and GraphQL's DateTime arguments all pass here,
so a shape refused in one place is refused in all. A general-purpose parser (pydantic's) also
takes Unix seconds (`0.5`, `1700000000`), a space for the `T` and fractions it must round: each
of those silently turns an ambiguous input into some instant, so they are refused instead.

Accepted, as RFC 3339 section 5.6 has it: `YYYY-MM-DDTHH:MM:SS`, an optional fraction, then `Z`
or `±HH:MM`; `t` and `z` may be lower case (section 5.6, note), `-00:00` is UTC (section 4.3).
Refused: anything else (dates alone, a space for `T`, week or ordinal dates, offsets without a
colon or missing), fractions finer than microseconds unless the extra digits are zeros (they
would be rounded away), leap seconds (`:60`, which no stored instant can hold), year 0000.
"""

import re
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from pydantic_core import PydanticCustomError

_RFC3339 = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})[Tt]"
    r"(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})"
    r"(?:\.(?P<fraction>[0-9]+))?"
    r"(?P<offset>[Zz]|[+-][0-9]{2}:[0-9]{2})?"
)
_MICROSECOND_DIGITS = 6
_EXAMPLE = "such as 2026-11-24T09:30:00Z or 2026-11-24T09:30:00.250+01:00"


def parse_rfc3339(value: Any) -> datetime:
    """An aware datetime in the offset it was given in; every other input is refused with a
    pydantic error (so the models report it under the field's name)."""
    if not isinstance(value, str):
        raise PydanticCustomError(
            "datetime_type", f"Input should be an RFC 3339 string, {_EXAMPLE}"
        )
    match = _RFC3339.fullmatch(value)
    if match is None:
        raise PydanticCustomError(
            "datetime_parsing", f"Input should be an RFC 3339 date-time, {_EXAMPLE}"
        )
    if match["offset"] is None:
        raise PydanticCustomError("timezone_aware", "Input should have timezone info")
    fraction = match["fraction"] or ""
    if fraction[_MICROSECOND_DIGITS:].strip("0"):
        raise PydanticCustomError(
            "datetime_precision",
            "Input should have at most 6 fractional digits (microseconds): finer ones would be "
            "rounded away",
        )
    return _build(value, match, fraction)


_DATE_TIME_PARTS = ("year", "month", "day", "hour", "minute", "second")


def _build(value: str, match: re.Match[str], fraction: str) -> datetime:
    if match["second"] == "60":
        raise _impossible("leap seconds (:60) cannot be stored; use :59.999999")
    try:
        # The shape is RFC 3339's (matched above) and the offset in range (`_offset`, which
        # refuses `+01:60`, which fromisoformat would read as two hours): then Python's C
        # reader of ISO 8601 makes the same instant as `_built` in a small part of the time.
        # What it does not read (a lower case `t` or `z`, a date that does not exist) is
        # built by `_built`, which names what is wrong.
        _offset(match["offset"])
        return datetime.fromisoformat(value)
    except ValueError:
        return _built(match, fraction)


def _built(match: re.Match[str], fraction: str) -> datetime:
    try:
        year, month, day, hour, minute, second = map(int, match.group(*_DATE_TIME_PARTS))
        microsecond = int(fraction[:_MICROSECOND_DIGITS].ljust(_MICROSECOND_DIGITS, "0"))
        return datetime(
            year, month, day, hour, minute, second, microsecond, tzinfo=_offset(match["offset"])
        )
    except ValueError as exc:
        raise _impossible(str(exc)) from exc


@lru_cache(maxsize=256)
def _offset(text: str) -> timezone:
    """The offset's zone, made once per spelling (a batch's events mostly share one)."""
    if text in ("Z", "z"):
        return UTC
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 23 or minutes > 59:
        raise ValueError("the offset must be from -23:59 to +23:59")
    size = timedelta(hours=hours, minutes=minutes)
    return timezone(-size if text[0] == "-" else size)


def _impossible(reason: str) -> PydanticCustomError:
    return PydanticCustomError(
        "datetime_value", "Input is not a date-time that exists: {reason}", {"reason": reason}
    )


def utc_clamped(moment: datetime) -> datetime:
    """`moment` in UTC. An instant a few hours outside the years 1-9999 (year 1 at `+01:00`,
    9999-12-31 at `-01:00`) saturates to the first or last representable instant: for a
    bound of a filter that means the same, as no stored event is near either."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        lowest = datetime.min.replace(tzinfo=UTC)
        return lowest if moment < lowest else datetime.max.replace(tzinfo=UTC)
