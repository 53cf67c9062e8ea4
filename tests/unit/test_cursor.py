"""Cursors round-trip, and refuse tampering and reuse against other filters."""

from datetime import UTC, datetime

import pytest

from schema.cursor import CursorPosition, decode_cursor, encode_cursor, query_fingerprint
from schema.errors import InvalidCursor

SECRET = b"s" * 32
POSITION = CursorPosition(
    datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), "0b7e9f8c-7d1a-4c5e-9a51-2f1f0d8f3c11"
)
FINGERPRINT = query_fingerprint("user-1", (), None, None)


def test_a_cursor_decodes_to_the_position_it_was_made_from() -> None:
    token = encode_cursor(POSITION, FINGERPRINT, SECRET)
    assert decode_cursor(token, FINGERPRINT, SECRET) == POSITION


def test_a_cursor_is_url_safe() -> None:
    token = encode_cursor(POSITION, FINGERPRINT, SECRET)
    assert all(char.isalnum() or char in "-_." for char in token)


ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.="


def test_a_cursor_with_any_character_changed_added_or_removed_is_refused() -> None:
    """Every position, every other character of the cursor's alphabet: base64 ignores a last
    character's unused bits, so a decoder that did not insist on one spelling would take some
    of these (a last character changed among A-F would still get the next page)."""
    token = encode_cursor(POSITION, FINGERPRINT, SECRET)
    variants = {token[:i] + char + token[i + 1 :] for i in range(len(token)) for char in ALPHABET}
    variants |= {token + "=", token + "==", token[:-1], token.replace(".", "=.")}
    variants.discard(token)
    accepted = []
    for variant in sorted(variants):
        try:
            decode_cursor(variant, FINGERPRINT, SECRET)
        except InvalidCursor:
            continue
        accepted.append(variant)
    assert accepted == []


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "!!!.???", "a" * 500])
def test_malformed_cursors_are_refused(token: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(token, FINGERPRINT, SECRET)


@pytest.mark.parametrize(
    "other",
    [
        query_fingerprint("user-2", (), None, None),
        query_fingerprint("user-1", ["click"], None, None),
        query_fingerprint("user-1", ["click", "view"], None, None),
        query_fingerprint("user-1", (), datetime(2026, 1, 1, tzinfo=UTC), None),
        query_fingerprint("user-1", (), None, datetime(2026, 1, 1, tzinfo=UTC)),
    ],
)
def test_a_cursor_is_refused_for_another_user_or_other_filters(other: bytes) -> None:
    token = encode_cursor(POSITION, FINGERPRINT, SECRET)
    with pytest.raises(InvalidCursor):
        decode_cursor(token, other, SECRET)


def test_a_cursor_signed_with_another_secret_is_refused() -> None:
    token = encode_cursor(POSITION, FINGERPRINT, b"t" * 32)
    with pytest.raises(InvalidCursor):
        decode_cursor(token, FINGERPRINT, SECRET)


def test_the_event_types_bind_a_cursor_as_a_set() -> None:
    token = encode_cursor(POSITION, query_fingerprint("u", ["view", "click"], None, None), SECRET)
    same_set = query_fingerprint("u", ["click", "view", "click"], None, None)
    assert decode_cursor(token, same_set, SECRET) == POSITION
    with pytest.raises(InvalidCursor):
        decode_cursor(token, query_fingerprint("u", ["click"], None, None), SECRET)


def test_cursors_made_for_one_event_type_before_several_were_allowed_stay_valid() -> None:
    """The fingerprint of one type is the text it always was (user, type, bounds)."""
    assert query_fingerprint("u", ["click"], None, None) == b"u\x1fclick\x1f\x1f"


@pytest.mark.parametrize(
    "moment",
    [datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)],
    ids=["year-1", "year-9999"],
)
def test_positions_and_bounds_at_the_ends_of_the_calendar_round_trip(moment: datetime) -> None:
    fingerprint = query_fingerprint("u", (), moment, moment)
    position = CursorPosition(moment, POSITION.event_id)
    assert decode_cursor(encode_cursor(position, fingerprint, SECRET), fingerprint, SECRET) == (
        position
    )
