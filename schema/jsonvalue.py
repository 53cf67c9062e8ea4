"""JSON as the API reads and writes it: every number a `Decimal`, never a float.

DynamoDB (through boto3) refuses floats, and floats would round what clients send; Decimal keeps
every digit. NaN and Infinity are not JSON: they parse to `NonFiniteNumber` so the rules can name
the field that holds one. A key repeated in one object is refused (RFC 8259 leaves its meaning
undefined and parsers disagree on which value wins), naming where it repeats.

Numbers are answered in one spelling per value (`normal_number`), whatever a client sent and
whichever DynamoDB stored them: DynamoDB trims leading and trailing zeros and writes large
numbers out in full, emulators keep the client's spelling, so only a spelling of our own makes
every backend answer the same bytes.
"""

import re
from collections.abc import Iterator
from decimal import (
    MAX_EMAX,
    MIN_EMIN,
    Clamped,
    Context,
    Decimal,
    DecimalException,
    InvalidOperation,
    Overflow,
    Rounded,
    Subnormal,
    Underflow,
)
from typing import Any

import orjson
import simplejson

from schema.errors import FieldError, InvalidInput, child_path
from schema.limits import MAX_REPORTED_ERRORS

# Integers of up to this many digits are written out in full (DynamoDB's precision).
_WRITTEN_OUT_DIGITS = 38
# An integer literal longer than this cannot be a GraphQL Int: keep it exact as a Decimal
# instead of meeting Python's 4,300-digit cap on int().
_MAX_INT_DIGITS = 100
# Beyond Decimal's exponent range: any such nonzero number is out of DynamoDB's range too.
_EXTREME_EXPONENT = 999_999_999_999_999_999
_ZERO = Decimal(0)
# Decimal arithmetic that cannot round unnoticed: every signal that would change or clamp a
# value raises instead (38 digits are every significant digit a valid number has).
_CANONICAL = Context(
    prec=38,
    Emax=MAX_EMAX,
    Emin=MIN_EMIN,
    traps=[Clamped, InvalidOperation, Overflow, Rounded, Subnormal, Underflow],
)


class NonFiniteNumber:
    """Stands where a body had NaN or ±Infinity, so validation can point at it."""

    def __init__(self, literal: str) -> None:
        self.literal = literal

    def __repr__(self) -> str:
        return self.literal


class MalformedJson(ValueError):
    """The text is not JSON at all (a 400, unlike a well-formed body that breaks a rule)."""


class JsonTooDeep(ValueError):
    """The document nests deeper than the parser's recursion allows (always past our limit)."""


# How deep our walks of a document go: far past any rule's 32 levels, far below where Python's
# recursion would stop (about 495 levels of a two-frame walk), so a document that the parser
# took, however deep, is refused as an input, never a crash.
MAX_WALKED_DEPTH = 100


TOO_DEEP_MESSAGE = "the document nests far deeper than 32 levels"


class NestsTooDeep(InvalidInput):
    """A parsed document nested past MAX_WALKED_DEPTH: refused whole (one event of a batch)."""

    def __init__(self) -> None:
        super().__init__([FieldError("", TOO_DEEP_MESSAGE, "too_deep")])


class DuplicateKeys(InvalidInput):
    """Well-formed JSON whose meaning is undefined: an object repeats a key."""


class _RepeatingObject(dict[str, Any]):
    """An object in which `repeated` keys appeared more than once (the last value is kept)."""

    repeated: list[str]


def parse_json(text: str | bytes, *, decimal_integers: bool = True) -> Any:
    """`decimal_integers=False` keeps integers as int, as GraphQL's Int arguments need."""
    if not decimal_integers:
        fast = _plain_document(text)
        if fast is not _NOT_PLAIN:
            return fast
    value, repeats = parse_json_keeping_repeats(text, decimal_integers=decimal_integers)
    if repeats:
        raise DuplicateKeys(repeated_keys(value))
    return value


# Where a key of an object may end: a quote, JSON whitespace, a colon. Every key ends so, and
# other text only where a string holds `":` (escaped quote, then a colon).
_KEY_END = re.compile(rb'"[ \t\n\r]*:')
_NOT_PLAIN = object()
# Integers below this magnitude are ints by either parser (`_int_or_decimal`'s cut, with room
# for a sign).
_PLAIN_INT_BOUND = 10 ** (_MAX_INT_DIGITS - 2)


def _plain_document(text: str | bytes) -> Any:
    """The document as `parse_json(text, decimal_integers=False)` reads it, by orjson, when that
    is sure to be the same: no float (parse_json makes Decimals), no integer near the Decimal
    cut, and no repeated key. orjson keeps a repeated key's last value silently, so the pairs it
    kept are counted against every place in the text a key may end: the same count means no
    pair was dropped. Anything else (a float, `":` inside a string, text orjson refuses) is
    `_NOT_PLAIN`, left to the exact parse and its answers."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return _NOT_PLAIN
    raw = text.encode() if isinstance(text, str) else text
    pairs = _plain_pairs(value, 0)
    if pairs < 0 or pairs != len(_KEY_END.findall(raw)):
        return _NOT_PLAIN
    return value


def _plain_pairs(value: Any, depth: int) -> int:
    """The object members in `value`, or -1 if it holds a number parse_json reads otherwise
    (or nests past MAX_WALKED_DEPTH, left to the exact parse's limits)."""
    if isinstance(value, str) or value is None or isinstance(value, bool):
        return 0
    if depth > MAX_WALKED_DEPTH:
        return -1
    if isinstance(value, dict):
        total = len(value)
        items: Any = value.values()
    elif isinstance(value, list):
        total, items = 0, value
    elif isinstance(value, int):
        return 0 if -_PLAIN_INT_BOUND < value < _PLAIN_INT_BOUND else -1
    else:
        return -1
    for item in items:
        found = _plain_pairs(item, depth + 1)
        if found < 0:
            return -1
        total += found
    return total


def parse_json_keeping_repeats(
    text: str | bytes, *, decimal_integers: bool = True
) -> tuple[Any, bool]:
    """The document, and whether any object in it repeats a key: `repeated_keys` then finds
    where, in each part of the document on its own (a batch refuses only the events that repeat
    a key, and looks for them only when there are some)."""
    repeats = False

    def make_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal repeats
        made = dict(pairs)
        if len(made) == len(pairs):
            return made
        repeats = True
        marked = _RepeatingObject(made)
        marked.repeated = _repeats([key for key, _ in pairs])
        return marked

    try:
        value = simplejson.loads(
            text,
            parse_float=parse_number,
            parse_int=parse_number if decimal_integers else _int_or_decimal,
            parse_constant=NonFiniteNumber,
            object_pairs_hook=make_object,
        )
    except RecursionError as exc:
        raise JsonTooDeep from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedJson(str(exc)) from exc
    return value, repeats


def repeated_keys(value: Any, *, nested: bool = True) -> list[FieldError]:
    """Where a document parsed with `parse_json_keeping_repeats` repeats a key (none otherwise):
    anywhere in it, or (`nested=False`) in its outermost object only."""
    if nested:
        return list(_repeated_keys(value, ""))[:MAX_REPORTED_ERRORS]
    return [_repeated(key) for key in getattr(value, "repeated", ())]


def _repeats(keys: list[str]) -> list[str]:
    seen: set[str] = set()
    repeated: dict[str, None] = {}
    for key in keys:
        if key in seen:
            repeated[key] = None
        seen.add(key)
    return list(repeated)


def _repeated_keys(value: Any, path: str, depth: int = 0) -> Iterator[FieldError]:
    if depth > MAX_WALKED_DEPTH:
        raise NestsTooDeep
    if isinstance(value, _RepeatingObject):
        for key in value.repeated:
            yield _repeated(key, path)
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _repeated_keys(item, child_path(path, key), depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _repeated_keys(item, f"{path}[{index}]", depth + 1)


def _repeated(key: str, path: str = "") -> FieldError:
    return FieldError(
        child_path(path, key),
        "the key appears more than once in its object; send it once",
        "duplicate_key",
    )


def parse_number(literal: str) -> Decimal:
    """A JSON number's exact value. Decimal cannot hold exponents beyond ±10^18; such a number
    is 0 (`0E-99999999999999999999`) or far outside DynamoDB's range, and is kept as one that
    the rules classify the same way."""
    try:
        return Decimal(literal)
    except InvalidOperation:
        mantissa, _, exponent = literal.lower().partition("e")
        if Decimal(mantissa).is_zero():
            return Decimal(0)
        sign = "-" if mantissa.startswith("-") else ""
        direction = "-" if exponent.startswith("-") else "+"
        return Decimal(f"{sign}1E{direction}{_EXTREME_EXPONENT}")


def _int_or_decimal(literal: str) -> int | Decimal:
    return int(literal) if len(literal) <= _MAX_INT_DIGITS else Decimal(literal)


def dump_json(value: Any) -> bytes:
    """Compact UTF-8 JSON with Decimals written digit for digit (orjson, each Decimal a
    fragment of its own text).

    Text that cannot be UTF-8 (an unpaired surrogate echoed in an error) is written as JSON
    escapes instead, so no response ever fails to encode.
    """
    try:
        return orjson.dumps(value, default=_decimal_fragment)
    except orjson.JSONEncodeError:
        return simplejson.dumps(value, use_decimal=True, separators=(",", ":")).encode("ascii")


def _decimal_fragment(value: Any) -> orjson.Fragment:
    if isinstance(value, Decimal) and value.is_finite():
        return orjson.Fragment(str(value))
    raise TypeError(f"not JSON: {type(value).__name__}")


def _trimmed(number: Decimal) -> tuple[int, tuple[int, ...], int, int]:
    """Sign, significant digits, exponent and original length of the digits of a finite nonzero
    number (a coefficient has no leading zeros: only trailing ones are trimmed)."""
    sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    significant = len(digits)
    while digits[significant - 1] == 0:
        significant -= 1
    return sign, digits[:significant], exponent + len(digits) - significant, len(digits)


def canonical_number(number: Decimal) -> Decimal:
    """One spelling per value (1, 1.0 and 1E0 are the same number to DynamoDB and to us): the
    significant digits, trailing zeros trimmed into the exponent.

    Content hashes of stored events are made of this spelling: it must never change. Decimal's
    `normalize` makes it for every number it can hold without rounding (any number a rule
    lets through); any other takes the exact path, on the digits themselves."""
    if number.is_zero():
        return _ZERO
    try:
        return number.normalize(_CANONICAL)
    except DecimalException:
        sign, digits, exponent, _ = _trimmed(number)
        return Decimal((sign, digits, exponent))


def normal_number(number: Decimal | int) -> Decimal:
    """The spelling every number is stored and answered in (Decimal's `str` of the result).

    Leading and trailing zeros are dropped (`19.90` is `19.9`, `-0` is `0`); integers of up to
    38 digits are written out (`1.5E3` is `1500`); an exponent remains only for integers of
    more digits (`1E+40`) and for magnitudes below 0.000001 (`1.5E-7`). A finite number only.
    """
    return normal_and_significant(Decimal(number))[0]


def normal_and_significant(number: Decimal) -> tuple[Decimal, int]:
    """`normal_number` of a finite Decimal, and how many significant digits it has (0 has 1):
    the same number when it is spelled normally already (as most numbers clients send are)."""
    if number.is_zero():
        return _ZERO, 1
    sign, digits, exponent, length = _trimmed(number)
    significant = len(digits)
    spelled = 0 if 0 < exponent <= _WRITTEN_OUT_DIGITS - significant else exponent
    if spelled == exponent - length + significant:  # the exponent it was given: same digits
        return number, significant
    return Decimal((sign, digits + (0,) * (exponent - spelled), spelled)), significant


def canonical_json(value: Any) -> bytes:
    """Sorted keys and canonical numbers: equal content, equal bytes (for content hashes).

    The bytes of stored events' hashes: they must never change (a test holds them to the
    simplejson encoding they were first made with, on generated documents). Every number must
    be a Decimal, as `schema.details.walk_details` leaves them: orjson writes an int itself,
    and it writes each Decimal as the text of its canonical spelling."""
    return orjson.dumps(value, default=_canonical_fragment, option=orjson.OPT_SORT_KEYS)


def _canonical_fragment(value: Any) -> orjson.Fragment:
    if isinstance(value, Decimal) and value.is_finite():
        text = str(value)
        # Without an exponent and a trailing zero, the text is the canonical spelling already
        # (`normalize` would trim only trailing zeros); most numbers are written so.
        if text[-1] != "0" and "E" not in text:
            return orjson.Fragment(text)
        return orjson.Fragment(str(canonical_number(value)))
    raise TypeError(f"not JSON: {type(value).__name__}")


def nests_past(value: Any, levels: int) -> bool:
    """Whether `value` is a container holding a container `levels` levels below itself (0: is a
    container): how a walk that stopped early learns whether the rest passes MAX_WALKED_DEPTH."""
    if not isinstance(value, dict | list):
        return False
    if levels <= 0:
        return True
    children = value.values() if isinstance(value, dict) else value
    return any(nests_past(child, levels - 1) for child in children)
