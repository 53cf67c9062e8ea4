"""Every rule of a new event, at its edge and one step past it."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from schema.errors import FieldError, InvalidInput
from schema.events import parse_event_create, parse_listing
from schema.jsonvalue import parse_json
from schema.limits import MAX_DETAILS_ITEM_BYTES, MAX_EVENT_TYPES, Limits
from tests.factories import make_event

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
LIMITS = Limits()


def errors_of(body: Any, limits: Limits = LIMITS) -> list[FieldError]:
    with pytest.raises(InvalidInput) as caught:
        parse_event_create(body, limits, NOW)
    return caught.value.errors


def accepts(body: Any, limits: Limits = LIMITS) -> None:
    parse_event_create(body, limits, NOW)


def nested(depth: int) -> dict[str, Any]:
    """A details object `depth` levels deep (the object itself is level 1)."""
    value: dict[str, Any] = {}
    for _ in range(depth - 1):
        value = {"k": value}
    return value


@pytest.mark.parametrize("user_id", ["a", "x" * 128, "A-z0.9_:@+|=-"])
def test_accepts_user_ids_within_the_rules(user_id: str) -> None:
    accepts(make_event(userId=user_id))


@pytest.mark.parametrize("user_id", ["", "x" * 129, "with space", "slash/", "ü"])
def test_refuses_user_ids_outside_the_rules(user_id: str) -> None:
    assert [(e.field, e.code) for e in errors_of(make_event(userId=user_id))] == [
        ("userId", "string_pattern_mismatch")
    ]


@pytest.mark.parametrize("event_type", ["a", "a" * 64, "Checkout.step_2:done-ok"])
def test_accepts_event_types_within_the_rules(event_type: str) -> None:
    accepts(make_event(eventType=event_type))


@pytest.mark.parametrize("event_type", ["", "a" * 65, "2fa", "_x", "a b", "a/b"])
def test_refuses_event_types_outside_the_rules(event_type: str) -> None:
    assert [e.field for e in errors_of(make_event(eventType=event_type))] == ["eventType"]


def test_requires_user_id_and_event_type() -> None:
    errors = errors_of({"details": {}})
    assert {(e.field, e.code) for e in errors} == {("userId", "missing"), ("eventType", "missing")}


def test_refuses_unknown_top_level_fields() -> None:
    errors = errors_of(make_event(user="x", extra=1))
    assert sorted((e.field, e.code) for e in errors) == [
        ("extra", "extra_forbidden"),
        ("user", "extra_forbidden"),
    ]


def test_refuses_a_body_that_is_not_an_object() -> None:
    assert [(e.field, e.code) for e in errors_of([1, 2])] == [("", "object_type")]


@pytest.mark.parametrize(
    "timestamp",
    [
        "1970-01-01T00:00:00Z",
        "2026-11-25T11:59:59+00:00",
        "2026-11-25T12:59:59.999+01:00",
        "2026-11-25T12:00:00Z",
    ],
)
def test_accepts_timestamps_from_1970_to_the_future_bound(timestamp: str) -> None:
    accepts(make_event(timestamp=timestamp))


@pytest.mark.parametrize(
    ("timestamp", "code"),
    [
        ("1969-12-31T23:59:59.999Z", "timestamp_out_of_range"),
        ("2026-11-25T12:00:00.001Z", "timestamp_out_of_range"),
        ("2026-11-24T12:00:00", "timezone_aware"),
        ("yesterday", "datetime_parsing"),
        (1732449600, "datetime_type"),
    ],
)
def test_refuses_timestamps_out_of_range_naive_or_not_text(timestamp: Any, code: str) -> None:
    assert [(e.field, e.code) for e in errors_of(make_event(timestamp=timestamp))] == [
        ("timestamp", code)
    ]


def test_the_future_bound_follows_the_configured_skew() -> None:
    strict = Limits(max_future_seconds=60)
    accepts(make_event(timestamp="2026-11-24T12:01:00Z"), strict)
    assert [e.field for e in errors_of(make_event(timestamp="2026-11-24T12:01:01Z"), strict)] == [
        "timestamp"
    ]


def test_keeps_microseconds_and_converts_to_utc() -> None:
    event = parse_event_create(
        make_event(timestamp="2026-11-24T13:00:00.123456+01:00"), LIMITS, NOW
    )
    assert event.timestamp == datetime(2026, 11, 24, 12, 0, 0, 123456, tzinfo=UTC)
    assert event.timestamp is not None and event.timestamp.utcoffset() == timedelta(0)


def test_accepts_details_at_the_depth_limit() -> None:
    accepts(make_event(details=nested(32)))


def test_refuses_details_one_level_too_deep_naming_the_path() -> None:
    errors = errors_of(make_event(details=nested(33)))
    assert [(e.field, e.code) for e in errors] == [("details" + ".k" * 32, "too_deep")]


def padded_details(size: int) -> dict[str, Any]:
    """Details whose compact JSON is exactly `size` bytes."""
    overhead = len('{"pad":""}')
    return {"pad": "x" * (size - overhead)}


def test_accepts_details_of_exactly_the_size_limit() -> None:
    accepts(make_event(details=padded_details(LIMITS.max_details_bytes)))


def test_refuses_details_one_byte_over_the_size_limit() -> None:
    errors = errors_of(make_event(details=padded_details(LIMITS.max_details_bytes + 1)))
    assert [(e.field, e.code) for e in errors] == [("details", "too_large")]


def test_the_size_limit_counts_utf8_bytes() -> None:
    limit = 2048
    three_byte_chars = {"pad": "€" * ((limit - 10) // 3)}
    accepts(make_event(details=three_byte_chars), Limits(max_details_bytes=limit))
    three_byte_chars["pad"] += "€"
    assert [e.code for e in errors_of(make_event(details=three_byte_chars), Limits(limit))] == [
        "too_large"
    ]


@pytest.mark.slow
def test_refuses_details_within_the_byte_limit_that_dynamodb_would_count_as_too_large() -> None:
    # 350 KiB of `[[],[],...]` is legal JSON within the ceiling, but DynamoDB counts 4 bytes
    # for every 3 of JSON here: it would refuse the item.
    roomy = Limits(max_details_bytes=350 * 1024)
    lists: dict[str, Any] = {"l": [[] for _ in range(110_000)]}
    assert [e.code for e in errors_of(make_event(details=lists), roomy)] == ["too_large_for_store"]
    accepts(make_event(details={"l": [[] for _ in range(MAX_DETAILS_ITEM_BYTES // 4 - 10)]}), roomy)


def test_accepts_numbers_with_38_significant_digits_and_the_extreme_magnitudes() -> None:
    details = parse_json(
        '{"n38": 12345678901234567890123456789012345678,'
        ' "trailing": 1000000000000000000000000000000000000000000,'
        ' "tiny": 1E-130, "huge": -9.9999999999999999999999999999999999999E+125, "zero": 0.000}'
    )
    accepts(make_event(details=details))


@pytest.mark.parametrize(
    ("literal", "code"),
    [
        ("123456789012345678901234567890123456789", "number_too_precise"),
        ("1.23456789012345678901234567890123456789", "number_too_precise"),
        ("1E-131", "number_out_of_range"),
        ("1E+126", "number_out_of_range"),
        ("-1E+126", "number_out_of_range"),
        ("NaN", "not_finite"),
        ("-Infinity", "not_finite"),
    ],
)
def test_refuses_numbers_dynamodb_cannot_store(literal: str, code: str) -> None:
    details = parse_json(f'{{"a": {{"b": [0, {literal}]}}}}')
    assert [(e.field, e.code) for e in errors_of(make_event(details=details))] == [
        ("details.a.b[1]", code)
    ]


def test_refuses_empty_keys_and_unpaired_surrogates_anywhere() -> None:
    details = parse_json('{"a": {"": 1}, "s": "\\ud800", "\\udc00": 2}')
    assert sorted((e.field, e.code) for e in errors_of(make_event(details=details))) == [
        ('details.a[""]', "empty_key"),
        ("details.s", "invalid_unicode"),
        ('details["\\udc00"]', "invalid_unicode"),
    ]


def test_lists_every_offending_field_at_once() -> None:
    body = make_event(userId="bad user", eventType="9", details=parse_json('{"x": NaN}'), extra=1)
    assert sorted(e.field for e in errors_of(body)) == ["details.x", "eventType", "extra", "userId"]


def test_details_must_be_an_object() -> None:
    assert [(e.field, e.code) for e in errors_of(make_event(details=[1]))] == [
        ("details", "dict_type")
    ]


def test_event_ids_are_uuids_in_canonical_form() -> None:
    event = parse_event_create(
        make_event(eventId="{6FA459EA-EE8A-3CA4-894E-DB77E160355E}"), LIMITS, NOW
    )
    assert str(event.event_id) == "6fa459ea-ee8a-3ca4-894e-db77e160355e"
    assert [e.code for e in errors_of(make_event(eventId="not-a-uuid"))] == ["uuid_parsing"]


def test_equal_numbers_spelled_differently_are_the_same_content() -> None:
    one = parse_event_create(make_event(userId="u", details=parse_json('{"n": 1.0}')), LIMITS, NOW)
    other = parse_event_create(
        make_event(userId="u", details=parse_json('{"n": 1E0}')), LIMITS, NOW
    )
    third = parse_event_create(
        make_event(userId="u", details=parse_json('{"n": 1.01}')), LIMITS, NOW
    )
    assert one.content_hash() == other.content_hash() != third.content_hash()


def test_numbers_parse_as_decimals_digit_for_digit() -> None:
    assert parse_json('{"a": 0.1, "b": 12345678901234567890123456789012345678}') == {
        "a": Decimal("0.1"),
        "b": Decimal("12345678901234567890123456789012345678"),
    }


def test_keys_may_be_as_long_as_dynamodb_attribute_names_and_no_longer() -> None:
    roomy = Limits(max_details_bytes=350 * 1024)
    accepts(make_event(details={"a": {"k" * 65_535: 1}}), roomy)
    errors = errors_of(make_event(details={"a": {"k" * 65_536: 1}}), roomy)
    assert [(e.field, e.code) for e in errors] == [("details.a", "key_too_long")]


def listing_errors(given: dict[str, list[Any]], user_id: str = "u") -> list[tuple[str, str]]:
    with pytest.raises(InvalidInput) as caught:
        parse_listing(user_id, given)
    return [(e.field, e.code) for e in caught.value.errors]


def test_a_listing_parameter_given_twice_is_refused_naming_it_with_every_other_fault() -> None:
    given = {"limit": ["1", "2"], "cursor": ["a", "b"], "from": ["x"], "to": ["y", "y"]}
    assert sorted(listing_errors(given, user_id="bad user")) == [
        ("cursor", "repeated_parameter"),
        ("from", "datetime_parsing"),
        ("limit", "repeated_parameter"),
        ("to", "repeated_parameter"),
        ("userId", "string_pattern_mismatch"),
    ]


def test_several_event_types_are_one_filter_of_at_most_ten() -> None:
    types = [f"t{number}" for number in range(MAX_EVENT_TYPES)]
    assert parse_listing("u", {"eventType": types}).event_types == types
    assert listing_errors({"eventType": [*types, "t10"]}) == [("eventType", "too_long")]


def test_a_bad_event_type_is_named_as_the_client_wrote_it() -> None:
    assert listing_errors({"eventType": ["9x"]}) == [("eventType", "string_pattern_mismatch")]
    assert listing_errors({"eventType": ["ok", "9x"]}) == [
        ("eventType[1]", "string_pattern_mismatch")
    ]


def test_a_window_that_is_not_ordered_names_both_bounds() -> None:
    same = "2026-11-24T10:00:00+01:00"
    assert listing_errors({"from": [same], "to": ["2026-11-24T09:00:00Z"]}) == [
        ("from", "window_order"),
        ("to", "window_order"),
    ]


@pytest.mark.parametrize("field", ["eventId", "timestamp", "details"])
def test_null_for_an_optional_field_is_the_same_event_as_leaving_it_out(field: str) -> None:
    body = make_event()
    left_out = {name: value for name, value in body.items() if name != field}
    with_null = left_out | {field: None}
    a, b = parse_event_create(left_out, LIMITS, NOW), parse_event_create(with_null, LIMITS, NOW)
    assert a == b
    assert a.content_hash() == b.content_hash()


def test_null_for_a_required_field_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_event_create(make_event(userId=None, eventType=None), LIMITS, NOW)
    assert sorted(error.field for error in caught.value.errors) == ["eventType", "userId"]
