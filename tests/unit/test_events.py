"""The answer's shape: every time written one way (UTC, microseconds, Z) and read back as the
same instant; a stored Event built from trusted parts equal to pydantic's own construction."""

import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schema.events import Event, format_timestamp
from schema.times import parse_rfc3339

# Every instant the stores hold (years 1-9999 in UTC), seen from any offset that keeps it there.
OFFSETS = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
INSTANTS = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30, 23, 59, 59, 999_999)
).map(lambda naive: naive.replace(tzinfo=UTC))


@pytest.mark.slow
@given(INSTANTS, OFFSETS)
def test_a_time_is_written_in_utc_with_microseconds_and_z_and_reads_back_equal(
    instant: datetime, offset: timezone
) -> None:
    written = format_timestamp(instant.astimezone(offset))
    u = instant
    assert written == (
        f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}"
        f".{u.microsecond:06d}Z"
    )
    assert parse_rfc3339(written) == instant


def test_the_calendars_edges_are_written_four_digit_years() -> None:
    assert format_timestamp(datetime(1, 1, 1, tzinfo=UTC)) == "0001-01-01T00:00:00.000000Z"
    assert format_timestamp(datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)) == (
        "9999-12-31T23:59:59.999999Z"
    )


@pytest.mark.slow
@given(
    st.uuids(),
    st.text(min_size=1, max_size=8),
    st.dictionaries(st.text(max_size=4), st.decimals(allow_nan=False, allow_infinity=False)),
    INSTANTS,
)
def test_a_trusted_event_is_the_event_pydantic_constructs(
    event_id: uuid.UUID, user_id: str, details: dict[str, Decimal], moment: datetime
) -> None:
    parts: dict[str, Any] = {
        "event_id": event_id,
        "user_id": user_id,
        "event_type": "click",
        "timestamp": moment,
        "received_at": moment,
        "details": details,
    }
    assert Event.__private_attributes__ == {}  # trusted() sets none
    trusted, constructed = Event.trusted(**parts), Event.model_construct(**parts)
    assert trusted == constructed
    assert trusted.model_fields_set == constructed.model_fields_set
    assert trusted.to_json() == constructed.to_json()
    assert trusted.model_dump(by_alias=True) == constructed.model_dump(by_alias=True)
    assert repr(trusted) == repr(constructed)
    assert trusted.model_copy(update={"user_id": "other"}).user_id == "other"
