"""The one walk of a details document (`schema.details.walk_details`) leaves exactly what the
separate steps it replaced made: the content hash's bytes, the stored attribute value, the sizes
and the normal spelling; and it refuses documents at the depths and with the paths the rules
name."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import simplejson
from hypothesis import given, settings
from hypothesis import strategies as st

from persistence.attribute_values import from_attribute, to_attribute
from schema.details import Details, walk_details
from schema.errors import FieldError
from schema.events import parse_event_create
from schema.jsonvalue import (
    MAX_WALKED_DEPTH,
    NestsTooDeep,
    canonical_json,
    canonical_number,
    dump_json,
    normal_number,
    parse_json,
)
from schema.limits import MAX_REPORTED_ERRORS, Limits
from tests.factories import make_event
from tests.strategies import (
    assert_same_json,
    expected_codes,
    leaves,
    normal_json,
    number_code,
    number_literals,
    special_keys,
)
from tests.unit.test_rules import NOW, errors_of

# ---- oracles: the steps the walk replaced, as they were ----------------------------------


def _respelled(value: Any, spell: Callable[[Decimal], Decimal]) -> Any:
    if isinstance(value, dict):
        return {key: _respelled(item, spell) for key, item in value.items()}
    if isinstance(value, list):
        return [_respelled(item, spell) for item in value]
    if isinstance(value, Decimal) and value.is_finite():
        return spell(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return spell(Decimal(value))
    return value


def _canonical_number(number: Decimal) -> Decimal:
    if number.is_zero():
        return Decimal(0)
    sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    kept = list(digits)
    while kept[0] == 0:
        kept.pop(0)
    while kept[-1] == 0:
        kept.pop()
        exponent += 1
    return Decimal((sign, tuple(kept), exponent))


def _simplejson_canonical(value: Any) -> bytes:
    """How content hashes were first encoded: a respelled copy, dumped by simplejson."""
    return simplejson.dumps(
        _respelled(value, _canonical_number),
        use_decimal=True,
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    ).encode("utf-8")


def _dynamodb_size(value: Any) -> int:
    """DynamoDB's published item-size formula, as the rules counted it before the walk did."""
    if isinstance(value, dict):
        return 3 + sum(1 + len(key.encode()) + _dynamodb_size(item) for key, item in value.items())
    if isinstance(value, list):
        return 3 + sum(1 + _dynamodb_size(item) for item in value)
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        digits = "".join(map(str, Decimal(value).as_tuple().digits)).strip("0")
        return (max(len(digits), 1) + 1) // 2 + 2
    return 1


def _attribute(value: Any) -> dict[str, Any]:
    """The attribute value the details store made with a walk of its own."""
    if isinstance(value, dict):
        return {"M": {key: _attribute(item) for key, item in value.items()}}
    if isinstance(value, list):
        return {"L": [_attribute(item) for item in value]}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bool):
        return {"BOOL": value}
    if value is None:
        return {"NULL": True}
    return {"N": str(normal_number(value))}


# Valid documents of every shape a hash meets: numbers of every spelling DynamoDB keeps, keys in
# any script (NUL, quotes, astral characters) and special names, nesting to the deepest level
# stored, empty containers.
_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
_KEYS = _TEXT.filter(bool) | special_keys()
_NUMBERS = number_literals().filter(lambda number: number_code(number) is None)
_LEAVES: st.SearchStrategy[Any] = (
    st.none() | st.booleans() | _NUMBERS | _TEXT | st.just({}) | st.just([])
)


def _chain(levels: list[tuple[str, bool]], leaf: Any) -> Any:
    for key, in_list in levels:
        leaf = [leaf] if in_list else {key: leaf}
    return leaf


_VALID = st.dictionaries(
    _KEYS,
    st.recursive(
        _LEAVES,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
        max_leaves=16,
    )
    | st.builds(_chain, st.lists(st.tuples(_KEYS, st.booleans()), max_size=31), _LEAVES),
    max_size=5,
)


@pytest.mark.slow
@settings(max_examples=400)
@given(document=_VALID)
def test_one_walk_leaves_the_bytes_the_separate_steps_made(document: dict[str, Any]) -> None:
    """Stored events' hashes were made from a respelled copy dumped by simplejson: the walked
    document must hash to the very same bytes, or a replay of an old event would be a conflict.
    What is stored, answered and measured is what the separate steps made too."""
    walked = walk_details(document, Limits())
    content = {"userId": "u", "eventType": "e", "details": document}
    walked_content = {"userId": "u", "eventType": "e", "details": walked.details}
    assert canonical_json(walked_content) == _simplejson_canonical(content)
    assert_same_json(dict(walked.details), normal_json(document))
    assert walked.details.attribute == _attribute(document)
    assert walked.json_bytes == len(dump_json(normal_json(document)))
    assert walked.item_bytes == _dynamodb_size(document)
    assert walked.errors == []


@pytest.mark.slow
@settings(max_examples=150)
@given(
    document=st.dictionaries(
        st.text(max_size=3),
        st.recursive(
            st.sampled_from([0, 1, None, True, "", [], {}, '\x00"\\\n\u2028é']) | leaves(),
            lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner),
            max_leaves=20,
        ),
        max_size=6,
    )
)
def test_the_walk_names_the_rules_a_document_breaks_as_the_oracle_judges_them(
    document: dict[str, Any],
) -> None:
    walked = walk_details(document, Limits())
    assert {error.code for error in walked.errors} == expected_codes(document)
    if not walked.errors:
        assert walked.json_bytes == len(dump_json(walked.details))


def test_the_content_hash_of_an_event_is_the_one_it_always_had() -> None:
    body = make_event(userId="u", eventType="e", details={"n": Decimal("19.90"), "k": [1, "é"]})
    content_hash = parse_event_create(body, Limits(), NOW).content_hash()
    assert content_hash == "a649c3b5b80bb20478178f70011760ad1fe9c083440531a810f6292c2a8a88f6"


def test_the_details_store_writes_the_attribute_value_the_walk_made() -> None:
    event = parse_event_create(
        make_event(details={"a": [Decimal("1.50"), {"b": None}]}), Limits(), NOW
    )
    assert isinstance(event.details, Details)
    assert to_attribute(event.details) is event.details.attribute
    assert from_attribute(to_attribute(event.details)) == {"a": [Decimal("1.5"), {"b": None}]}


def test_an_object_that_no_walk_made_is_converted_as_the_walk_would() -> None:
    assert to_attribute({"n": 5120, "x": [Decimal("1E+40"), True]}) == {
        "M": {"n": {"N": "5120"}, "x": {"L": [{"N": "1E+40"}, {"BOOL": True}]}}
    }


def nested(levels: int) -> Any:
    """`levels` objects, each inside the last."""
    value: Any = 1
    for _ in range(levels):
        value = {"l": value}
    return value


@pytest.mark.parametrize("levels", [33, MAX_WALKED_DEPTH - 1])
def test_details_nesting_short_of_the_walked_depth_are_refused_at_the_level_too_deep(
    levels: int,
) -> None:
    """The details object is level 1: `{"d": nested(levels - 1)}` nests `levels` deep."""
    errors = errors_of(make_event(details={"d": nested(levels - 1)}))
    assert [(e.field, e.code) for e in errors] == [("details.d" + ".l" * 31, "too_deep")]


@pytest.mark.parametrize("where", ["details", "userId", "extra"])
@pytest.mark.parametrize("levels", [MAX_WALKED_DEPTH, MAX_WALKED_DEPTH + 1])
def test_a_body_nesting_to_the_walked_depth_is_refused_whole(where: str, levels: int) -> None:
    deep = {"d": nested(levels - 1)} if where == "details" else nested(levels)
    with pytest.raises(NestsTooDeep):
        parse_event_create(make_event(**{where: deep}), Limits(), NOW)


def test_other_fields_nesting_to_the_walked_depth_are_the_models_to_refuse() -> None:
    errors = errors_of(make_event(userId=nested(MAX_WALKED_DEPTH - 1)))
    assert [(e.field, e.code) for e in errors] == [("userId", "string_type")]


def test_a_document_past_the_walked_depth_is_refused_whole_after_a_hundred_faults() -> None:
    details = {f"k{n}": {"": 1} for n in range(MAX_REPORTED_ERRORS + 5)}
    details["z"] = nested(MAX_WALKED_DEPTH)
    with pytest.raises(NestsTooDeep):
        walk_details(details, Limits())


def test_paths_name_each_fault_where_it_is_found_however_deep() -> None:
    details = parse_json(
        '{"a": [{"b": 1E+200, "": [0, {"x.y": NaN}]}], "k": {"' + "k" * 65_536 + '": "\\ud800"}}'
    )
    roomy = Limits(max_details_bytes=350 * 1024)
    assert walk_details(details, roomy).errors == [
        FieldError("details.a[0].b", _OUT_OF_RANGE, "number_out_of_range"),
        FieldError('details.a[0][""]', "object keys must not be empty", "empty_key"),
        FieldError('details.a[0][""][1]["x.y"]', "NaN is not a number JSON allows", "not_finite"),
        FieldError("details.k", "keys are at most 65535 bytes", "key_too_long"),
        FieldError(
            "details.k." + "k" * 65_536, "text holds an unpaired surrogate", "invalid_unicode"
        ),
    ]


_OUT_OF_RANGE = "numbers must be 0 or have a magnitude between 1E-130 and 9.99…E+125"


def test_faults_past_the_hundredth_are_not_reported() -> None:
    details = {f"k{n}": {"": n} for n in range(MAX_REPORTED_ERRORS + 5)}
    errors = walk_details(details, Limits()).errors
    assert [e.field for e in errors] == [f'details.k{n}[""]' for n in range(MAX_REPORTED_ERRORS)]


@pytest.mark.parametrize(
    "text", ["plain", 'a "quoted" \\ back', "\x00\x01\x1f\x7f", "\b\f\n\r\t", "é🐢\u2028"]
)
def test_text_is_measured_as_compact_json_writes_it(text: str) -> None:
    document = {text: text, "l": [text, {text: [text]}]}
    assert walk_details(document, Limits()).json_bytes == len(dump_json(document))


def test_floats_from_callers_in_this_process_are_the_numbers_their_spelling_states() -> None:
    walked = walk_details({"f": 1.0, "g": 0.1, "n": float("nan")}, Limits())
    assert [str(walked.details["f"]), str(walked.details["g"])] == ["1", "0.1"]
    assert [(e.field, e.code) for e in walked.errors] == [("details.n", "not_finite")]


@pytest.mark.slow
@settings(max_examples=500)
@given(number=number_literals())
def test_every_number_has_the_canonical_spelling_it_always_had(number: Decimal) -> None:
    assert str(canonical_number(number)) == str(_canonical_number(number))
