"""The one date-time reader: RFC 3339 with an offset, at every edge of the calendar; every other
shape refused with a code, never guessed at, never a crash."""

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic_core import PydanticCustomError

from schema.errors import InvalidInput
from schema.events import parse_event_create, parse_listing
from schema.limits import Limits
from schema.times import _RFC3339, _built, parse_rfc3339, utc_clamped
from tests.factories import make_event

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def refusal(text: Any) -> str:
    with pytest.raises(PydanticCustomError) as caught:
        parse_rfc3339(text)
    return caught.value.type


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2026-11-24T09:30:00Z", datetime(2026, 11, 24, 9, 30, tzinfo=UTC)),
        ("2026-11-24t09:30:00.25z", datetime(2026, 11, 24, 9, 30, 0, 250000, tzinfo=UTC)),
        ("2026-11-24T09:30:00-00:00", datetime(2026, 11, 24, 9, 30, tzinfo=UTC)),
        ("2026-11-24T10:30:00+01:00", datetime(2026, 11, 24, 9, 30, tzinfo=UTC)),
        ("2026-11-24T00:00:00-23:59", datetime(2026, 11, 24, 23, 59, tzinfo=UTC)),
        ("2026-11-24T09:30:00.123456000Z", datetime(2026, 11, 24, 9, 30, 0, 123456, tzinfo=UTC)),
        ("2024-02-29T00:00:00Z", datetime(2024, 2, 29, tzinfo=UTC)),
        ("0001-01-01T00:00:00Z", datetime.min.replace(tzinfo=UTC)),
        ("9999-12-31T23:59:59.999999Z", datetime.max.replace(tzinfo=UTC)),
    ],
)
def test_reads_rfc_3339_with_any_offset_as_the_instant_it_names(
    text: str, instant: datetime
) -> None:
    assert parse_rfc3339(text) == instant


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("0.5", "datetime_parsing"),  # Unix seconds, as pydantic would take them
        ("1700000000", "datetime_parsing"),
        ("2026-11-24", "datetime_parsing"),  # a date alone
        ("2026-11-24 09:30:00Z", "datetime_parsing"),  # a space for the T
        ("2026-11-24 09:30Z", "datetime_parsing"),
        ("2026-11-24T09:30Z", "datetime_parsing"),  # no seconds
        ("2026-W48-2T09:30:00Z", "datetime_parsing"),  # a week date
        ("2026-328T09:30:00Z", "datetime_parsing"),  # an ordinal date
        ("20261124T093000Z", "datetime_parsing"),  # ISO 8601 basic format
        ("2026-11-24T09:30:00+0100", "datetime_parsing"),  # offset without a colon
        ("2026-11-24T09:30:00+01", "datetime_parsing"),
        ("2026-11-24T09:30:00.Z", "datetime_parsing"),
        ("2026-11-24T09:30:00Z ", "datetime_parsing"),
        ("2026-11-24T09:30:00Z\n", "datetime_parsing"),
        ("\u0662\u0660\u0662\u0666-11-24T09:30:00Z", "datetime_parsing"),  # Arabic-Indic digits
        ("", "datetime_parsing"),
        ("2026-11-24T09:30:00", "timezone_aware"),
        ("2026-11-24T09:30:00.1234567Z", "datetime_precision"),
        ("2026-11-24T09:30:00.123456001Z", "datetime_precision"),
        ("2026-11-24T09:30:60Z", "datetime_value"),  # a leap second
        ("2026-02-29T00:00:00Z", "datetime_value"),
        ("2026-11-24T24:00:00Z", "datetime_value"),
        ("0000-01-01T00:00:00Z", "datetime_value"),
        ("2026-11-24T09:30:00+24:00", "datetime_value"),
        ("2026-11-24T09:30:00+01:60", "datetime_value"),
        (1700000000, "datetime_type"),
        (None, "datetime_type"),
    ],
)
def test_refuses_every_other_shape_with_a_code_saying_why(text: Any, code: str) -> None:
    assert refusal(text) == code


def test_instants_just_outside_the_years_1_to_9999_saturate_in_utc() -> None:
    early = parse_rfc3339("0001-01-01T00:00:00+01:00")
    late = parse_rfc3339("9999-12-31T23:59:59-01:00")
    assert utc_clamped(early) == datetime.min.replace(tzinfo=UTC)
    assert utc_clamped(late) == datetime.max.replace(tzinfo=UTC)


offsets = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m)))
moments = st.datetimes(min_value=datetime.min, max_value=datetime.max, timezones=offsets)


def rfc3339(moment: datetime, fraction_digits: int) -> str:
    """`moment` as a client writes it, with the first `fraction_digits` of its microseconds
    (strftime cannot: it writes year 1 as `1`)."""
    offset = moment.utcoffset()
    assert offset is not None
    sign, minutes = ("-" if offset < timedelta(0) else "+"), abs(offset) // timedelta(minutes=1)
    fraction = f"{moment.microsecond:06d}"[:fraction_digits]
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T"
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
        + (f".{fraction}" if fraction else "")
        + f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    )


@pytest.mark.slow
@settings(max_examples=300)
@given(moment=moments, fraction_digits=st.integers(0, 6))
def test_any_instant_in_any_offset_reads_back_as_itself(
    moment: datetime, fraction_digits: int
) -> None:
    parsed = parse_rfc3339(rfc3339(moment, fraction_digits))
    kept = int(f"{moment.microsecond:06d}"[:fraction_digits].ljust(6, "0") or 0)
    assert parsed == moment.replace(microsecond=kept)
    assert parsed.utcoffset() == moment.utcoffset()
    assert utc_clamped(parsed).tzinfo is UTC


@pytest.mark.slow
@settings(max_examples=300)
@given(moment=moments, fraction_digits=st.integers(0, 6))
def test_any_window_bound_in_any_offset_lists_or_is_refused_never_crashes(
    moment: datetime, fraction_digits: int
) -> None:
    text = rfc3339(moment, fraction_digits)
    query = parse_listing("u", {"from": [text]})
    assert query.start is not None and query.start.tzinfo is UTC
    try:
        parse_listing("u", {"from": [text], "to": [text]})
    except InvalidInput as exc:
        assert [(e.field, e.code) for e in exc.errors] == [
            ("from", "window_order"),
            ("to", "window_order"),
        ]


@pytest.mark.slow
@settings(max_examples=300)
@given(moment=moments, fraction_digits=st.integers(0, 6))
def test_any_timestamp_is_stored_in_utc_or_refused_as_out_of_range(
    moment: datetime, fraction_digits: int
) -> None:
    body = make_event(timestamp=rfc3339(moment, fraction_digits))
    try:
        event = parse_event_create(body, Limits(), NOW)
    except InvalidInput as exc:
        assert [(e.field, e.code) for e in exc.errors] == [("timestamp", "timestamp_out_of_range")]
    else:
        assert event.timestamp is not None and event.timestamp.tzinfo is UTC


@pytest.mark.slow
@settings(max_examples=500)
@given(text=st.text(st.characters(exclude_categories=()), max_size=40))
def test_any_text_is_read_or_refused_with_a_code(text: str) -> None:
    try:
        parse_rfc3339(text)
    except PydanticCustomError as exc:
        assert exc.type in {
            "datetime_parsing",
            "timezone_aware",
            "datetime_precision",
            "datetime_value",
        }


def _read(text: str) -> tuple[str, object]:
    """What reading `text` gives: the instant and its offset, or the refusal's code and text."""
    try:
        moment = parse_rfc3339(text)
    except PydanticCustomError as exc:
        return exc.type, str(exc)
    return "read", (moment, moment.utcoffset())


def _one_of(*texts: str) -> st.SearchStrategy[str]:
    return st.sampled_from(texts)


# Every field of RFC 3339's shape at the edges of its range and just past them (year 0000,
# month 13, a 29 or 31 February, 24:00, +01:60, +24:00), either case of `T` and `Z`, fractions
# past microseconds.
rfc3339_shaped = st.builds(
    "{}-{}-{}{}{}:{}:{}{}{}".format,
    st.one_of(
        _one_of("0000", "0001", "2024", "2026", "9999"), st.integers(0, 9999).map("{:04d}".format)
    ),
    _one_of("00", "01", "02", "12", "13"),
    _one_of("00", "01", "28", "29", "30", "31", "32"),
    _one_of("T", "t"),
    _one_of("00", "23", "24"),
    _one_of("00", "59", "60"),
    _one_of("00", "59"),
    st.one_of(st.just(""), st.text("0123456789", min_size=1, max_size=9).map(".{}".format)),
    st.one_of(
        _one_of("Z", "z", "+00:00", "-00:00"),
        st.builds(
            "{}{}:{}".format,
            _one_of("+", "-"),
            _one_of("00", "01", "23", "24", "99"),
            _one_of("00", "30", "59", "60", "99"),
        ),
    ),
)


@pytest.mark.slow
@settings(max_examples=1000)
@given(text=rfc3339_shaped)
def test_the_fast_reader_reads_or_refuses_every_date_time_as_the_general_one_does(
    text: str,
) -> None:
    # The general construction, field by field, as every date-time was read before the C
    # reader took the common shapes (both are behind the same refusals of a finer fraction
    # and a leap second).
    match = _RFC3339.fullmatch(text)
    assert match is not None
    fraction = match["fraction"] or ""
    if fraction[6:].strip("0") or match["second"] == "60":
        return
    try:
        built = _built(match, fraction)
    except PydanticCustomError as exc:
        expected: tuple[str, object] = (exc.type, str(exc))
    else:
        expected = ("read", (built, built.utcoffset()))
    assert _read(text) == expected
