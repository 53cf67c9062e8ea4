"""JSON as read and written: every number exact and spelled one way, duplicate keys refused
where they repeat, numbers no Decimal can hold still judged by the rules."""

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schema.errors import InvalidInput
from schema.events import parse_event_create
from schema.jsonvalue import (
    DuplicateKeys,
    canonical_json,
    normal_number,
    parse_json,
    parse_json_keeping_repeats,
)
from schema.limits import Limits
from tests.factories import make_event
from tests.strategies import number_code, number_literals
from tests.unit.rules import NOW, errors_of


@pytest.mark.parametrize(
    ("sent", "answered"),
    [
        ("19.90", "19.9"),
        ("1.0", "1"),
        ("-0", "0"),
        ("-0.000E+5", "0"),
        ("0E-200", "0"),
        ("0E+200", "0"),
        ("5120", "5120"),
        ("1.5E3", "1500"),
        ("1" + "0" * 37, "1" + "0" * 37),  # 38 digits: written out
        ("1" + "0" * 40, "1E+40"),
        ("1.0000000000000000000000000000000000000000", "1"),
        ("12345678901234567890123456789012345678", "12345678901234567890123456789012345678"),
        ("1234567890123456789012345678901234567800", "1.2345678901234567890123456789012345678E+39"),
        ("0.000001", "0.000001"),
        ("0.00000150", "0.0000015"),
        ("1E-7", "1E-7"),
        (
            "1.2345678901234567890123456789012345678E-130",
            "1.2345678901234567890123456789012345678E-130",
        ),
        (
            "-9.9999999999999999999999999999999999999E+125",
            "-9.9999999999999999999999999999999999999E+125",
        ),
    ],
)
def test_a_number_is_answered_in_one_spelling_per_value(sent: str, answered: str) -> None:
    assert str(normal_number(Decimal(sent))) == answered


@pytest.mark.slow
@settings(max_examples=1000)
@given(number=number_literals())
def test_the_normal_spelling_keeps_the_value_and_is_stable(number: Decimal) -> None:
    normal = normal_number(number)
    assert normal == number
    assert str(normal_number(Decimal(str(normal)))) == str(normal)
    assert parse_json(str(normal)) == number
    if number_code(number) is None:
        # At most a sign, `0.00000` and 38 digits: never 1E+125 written out in 126 digits.
        assert len(str(normal)) <= 46


@pytest.mark.slow
@settings(max_examples=1000)
@given(number=number_literals())
def test_every_number_is_accepted_or_refused_by_the_rule_dynamodb_documents(
    number: Decimal,
) -> None:
    body = make_event(details={"n": number})
    expected = number_code(number)
    if expected is None:
        assert parse_event_create(body, Limits(), NOW).details == {"n": normal_number(number)}
    else:
        assert [(e.field, e.code) for e in errors_of(body)] == [("details.n", expected)]


def test_spellings_of_one_value_hash_alike_as_they_always_did() -> None:
    """Content hashes of stored events are made of the canonical spelling: it must not move."""
    assert canonical_json({"n": normal_number(Decimal("5120"))}) == b'{"n":5.12E+3}'
    assert canonical_json({"n": Decimal("19.90")}) == canonical_json({"n": Decimal("1.99E1")})


@pytest.mark.parametrize(
    ("literal", "code"),
    [
        ("1E+9999999999999999999", "number_out_of_range"),
        ("-1.5e99999999999999999999999", "number_out_of_range"),
        ("1E-9999999999999999999", "number_out_of_range"),
        ("0E-99999999999999999999", None),
        ("-0.0e+99999999999999999999", None),
    ],
)
def test_numbers_whose_exponent_no_decimal_holds_are_judged_not_crashed_on(
    literal: str, code: str | None
) -> None:
    details = parse_json(f'{{"n": {literal}}}')
    if code is None:
        assert parse_event_create(make_event(details=details), Limits(), NOW).details == {
            "n": Decimal(0)
        }
    else:
        assert [(e.field, e.code) for e in errors_of(make_event(details=details))] == [
            ("details.n", code)
        ]


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ('{"a": 1, "a": 2}', ["a"]),
        ('{"userId": "u1", "userId": "u2", "eventType": "e"}', ["userId"]),
        ('{"details": {"x": [{"k": 1, "k": 1, "k": 2}]}}', ["details.x[0].k"]),
        ('{"details": {"": 1, "": 2, "a.b": 1, "a.b": 1}}', ['details[""]', 'details["a.b"]']),
        ('[{"a": 1}, {"b": {"c": 1, "c": 2}, "b": 3}]', ["[1].b"]),
        ('{"a": {"a": 1}, "b": {"a": 1}}', []),
    ],
)
def test_a_key_repeated_in_one_object_is_refused_naming_where(text: str, fields: list[str]) -> None:
    if not fields:
        parse_json(text)
        return
    with pytest.raises(DuplicateKeys) as caught:
        parse_json(text)
    assert isinstance(caught.value, InvalidInput)
    assert sorted(e.field for e in caught.value.errors) == sorted(fields)
    assert {e.code for e in caught.value.errors} == {"duplicate_key"}


def test_graphql_integers_stay_int_and_huge_ones_stay_exact() -> None:
    parsed = parse_json('{"first": 10, "big": ' + "9" * 5000 + "}", decimal_integers=False)
    assert parsed["first"] == 10 and isinstance(parsed["first"], int)
    assert parsed["big"] == Decimal("9" * 5000)


class _Literal(str):
    """A number's own text, written as it is."""


_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**120), max_value=10**120)
    | st.sampled_from(["1.5", "-0", "1e3", "NaN", "Infinity", "0.1E-7"]).map(_Literal)
    | st.text(alphabet='ab":\\ {}\ud800é', max_size=6)
)


def _render(value: Any) -> str:
    if isinstance(value, _Literal):
        return str(value)
    if isinstance(value, _Object):
        return "{" + ",".join(f"{json.dumps(k)}{s}:{_render(v)}" for k, s, v in value) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_render(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)


class _Object(list[tuple[str, str, Any]]):
    """An object as the pairs written, keys possibly repeated."""


_DOCUMENTS = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.lists(
            st.tuples(
                st.sampled_from(["a", "b", 'q":', "query"]), st.sampled_from(["", " ", "\n"]), inner
            ),
            max_size=4,
        ).map(_Object)
    ),
    max_leaves=12,
)


def _exactly(text: str | bytes) -> Any:
    """The document as the exact parse reads it (simplejson, every pair seen), or the error."""
    try:
        value, repeats = parse_json_keeping_repeats(text, decimal_integers=False)
    except ValueError as exc:
        return type(exc)
    return DuplicateKeys if repeats else value


def _as_read(text: str | bytes) -> Any:
    try:
        return parse_json(text, decimal_integers=False)
    except (ValueError, DuplicateKeys) as exc:
        return type(exc)


def _typed(value: Any) -> Any:
    """The value with every scalar's type beside it (1 == 1.0 == True otherwise)."""
    if isinstance(value, dict):
        return {key: _typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_typed(item) for item in value]
    return (type(value), repr(value))


@settings(max_examples=300)
@given(_DOCUMENTS.map(_render))
def test_a_graphql_body_reads_as_the_exact_parse_reads_it(text: str) -> None:
    """GraphQL bodies are read by orjson when that is sure to give the same document: the same
    values of the same types, and a repeated key refused wherever it is."""
    assert _typed(_as_read(text)) == _typed(_exactly(text))
    assert _typed(_as_read(text.encode("utf-8", "surrogatepass"))) == _typed(
        _exactly(text.encode("utf-8", "surrogatepass"))
    )
