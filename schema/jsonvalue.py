"""JSON as the API reads and writes it: every number a `Decimal`, never a float.

DynamoDB (through boto3) refuses floats, and floats would round what clients send; Decimal keeps
every digit, so what a client sends is what it reads back. NaN and Infinity are not JSON: they
parse to `NonFiniteNumber` so the rules can name the field that holds one.
"""

from decimal import Decimal
from typing import Any

import simplejson


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


def parse_json(text: str | bytes, *, decimal_integers: bool = True) -> Any:
    """`decimal_integers=False` keeps integers as int, as GraphQL's Int arguments need."""
    try:
        return simplejson.loads(
            text,
            parse_float=Decimal,
            parse_int=Decimal if decimal_integers else int,
            parse_constant=NonFiniteNumber,
        )
    except RecursionError as exc:
        raise JsonTooDeep from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedJson(str(exc)) from exc


def dump_json(value: Any) -> bytes:
    """Compact UTF-8 JSON with Decimals written digit for digit.

    Text that cannot be UTF-8 (an unpaired surrogate echoed in an error) is written as JSON
    escapes instead, so no response ever fails to encode.
    """
    try:
        return simplejson.dumps(
            value, use_decimal=True, ensure_ascii=False, separators=(",", ":")
        ).encode("utf-8")
    except UnicodeEncodeError:
        return simplejson.dumps(value, use_decimal=True, separators=(",", ":")).encode("ascii")


def canonical_number(number: Decimal) -> Decimal:
    """One spelling per value (1, 1.0 and 1E0 are the same number to DynamoDB and to us)."""
    if number.is_zero():
        return Decimal(0)
    sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    kept = list(digits)
    while len(kept) > 1 and kept[-1] == 0:
        kept.pop()
        exponent += 1
    return Decimal((sign, tuple(kept), exponent))


def canonical_json(value: Any) -> bytes:
    """Sorted keys and canonical numbers: equal content, equal bytes (for content hashes)."""
    return simplejson.dumps(
        _canonical(value),
        use_decimal=True,
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    ).encode("utf-8")


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    if isinstance(value, Decimal):
        return canonical_number(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return canonical_number(Decimal(value))
    return value
