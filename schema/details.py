"""The rules for an event's `details` document, and the one walk that applies them.

Each rule exists because DynamoDB (or our own size budget) would refuse the document later, and
a refusal after the write began would be a 500 or a half-written event instead of a clear 422.

`walk_details` visits every value once and leaves what every later step needs, so that none walks
the document again: the document with each number in its normal spelling (what is stored, hashed
and answered), its DynamoDB attribute value (what the details store writes), its size as compact
JSON and as DynamoDB counts an item, and every broken rule with the path of the offending value.
Paths are put together only for values that break a rule: a fault is recorded relative to the
container that holds it, and each container on the way back up adds its key or index.
"""

import re
from decimal import Decimal
from typing import Any, NamedTuple

from schema.errors import FieldError, child_path
from schema.jsonvalue import (
    MAX_WALKED_DEPTH,
    NestsTooDeep,
    NonFiniteNumber,
    nests_past,
    normal_and_significant,
)
from schema.limits import (
    MAX_DETAILS_DEPTH,
    MAX_DETAILS_ITEM_BYTES,
    MAX_KEY_BYTES,
    MAX_NUMBER_DIGITS,
    MAX_REPORTED_ERRORS,
    Limits,
)

# DynamoDB's size accounting: a map or list costs 3 bytes, each element 1 more, a number about
# one byte per two significant digits plus 2, a string its UTF-8, a boolean or null 1 byte.
_CONTAINER_BYTES = 3
_ELEMENT_BYTES = 1
_SCALAR_BYTES = 1
# DynamoDB's numbers span magnitudes 1E-130 to 9.99...E+125: as the exponent of the leading
# digit (the adjusted exponent, `Decimal.adjusted`), -130 to 125 for at most 38 digits.
_MIN_ADJUSTED_EXPONENT = -130
_MAX_ADJUSTED_EXPONENT = 125
# What compact JSON (orjson, `dump_json`) writes for a character beyond the character itself:
# a backslash for `"`, `\` and the five short escapes, `\u00XX` for other control characters.
_ESCAPED = re.compile(r'["\\\x00-\x1f]')
_SHORT_ESCAPES = frozenset('"\\\b\f\n\r\t')


class Details(dict[str, Any]):
    """A details object as `walk_details` leaves it: every number a Decimal in its normal
    spelling, and beside it `attribute`, the same document as a DynamoDB attribute value, which
    the details store writes as it is. A walked document is never changed afterwards."""

    __slots__ = ("attribute",)
    attribute: dict[str, Any]


class WalkedDetails(NamedTuple):
    """What one walk of a details object found: the document, its sizes, the broken rules."""

    details: Details
    json_bytes: int  # as compact UTF-8 JSON (`dump_json`), numbers in their normal spelling
    item_bytes: int  # as DynamoDB counts it in an item (its published formula)
    errors: list[FieldError]


class _Fault:
    """A broken rule, located by the keys and indexes from the walked object down to the value,
    innermost first (each container appends its own on the way back up)."""

    __slots__ = ("code", "message", "segments")

    def __init__(self, message: str, code: str, *segments: str | int) -> None:
        self.message = message
        self.code = code
        self.segments = list(segments)


# One walked value: its normal form, its attribute value, its JSON bytes and its DynamoDB bytes.
_Walked = tuple[Any, dict[str, Any], int, int]


def walk_details(details: dict[str, Any], limits: Limits, root: str = "details") -> WalkedDetails:
    """Walk `details` once (see the module's docstring). `errors` names every broken rule, up to
    MAX_REPORTED_ERRORS, each at the path of the offending value under `root`; the size rules
    are judged only of a document that breaks no other. Raises NestsTooDeep for a document
    nesting past MAX_WALKED_DEPTH, which is refused whole."""
    faults: list[_Fault] = []
    walked = Details()
    attribute, json_bytes, item_bytes = _object(details, 1, faults, walked)
    walked.attribute = attribute
    errors = [
        FieldError(_path(root, fault.segments), fault.message, fault.code) for fault in faults
    ]
    if not errors:
        errors = _size_errors(json_bytes, item_bytes, limits, root)
    return WalkedDetails(walked, json_bytes, item_bytes, errors[:MAX_REPORTED_ERRORS])


def _size_errors(json_bytes: int, item_bytes: int, limits: Limits, root: str) -> list[FieldError]:
    if json_bytes > limits.max_details_bytes:
        message = (
            f"details take {json_bytes} bytes as compact JSON; the limit is "
            f"{limits.max_details_bytes} bytes"
        )
        return [FieldError(root, message, "too_large")]
    if item_bytes > MAX_DETAILS_ITEM_BYTES:
        message = (
            f"details would exceed the {MAX_DETAILS_ITEM_BYTES}-byte item budget of the details "
            "store (many small numbers, nulls or empty lists cost more there)"
        )
        return [FieldError(root, message, "too_large_for_store")]
    return []


def _path(root: str, segments: list[str | int]) -> str:
    path = root
    for segment in reversed(segments):
        path = f"{path}[{segment}]" if isinstance(segment, int) else child_path(path, segment)
    return path


def _record(faults: list[_Fault], fault: _Fault) -> None:
    # Faults past the reported ones are not kept; the walk goes on (its sizes, its depth).
    if len(faults) < MAX_REPORTED_ERRORS:
        faults.append(fault)


def _located(faults: list[_Fault], first: int, segment: str | int) -> None:
    """Faults from `first` on were found inside `segment`: prefix it to their paths."""
    for fault in faults[first:]:
        fault.segments.append(segment)


def _object(
    value: dict[str, Any], depth: int, faults: list[_Fault], walked: dict[str, Any]
) -> tuple[dict[str, Any], int, int]:
    """Walk `value`'s members into `walked`; the attribute value and the sizes."""
    attribute: dict[str, Any] = {}
    # Braces and the commas between members; each member adds its key, a colon and its value.
    json_bytes = 1 + (len(value) or 1)
    item_bytes = _CONTAINER_BYTES
    for key, item in value.items():
        # Plain keys and text (`_is_plain`), most of a document, are measured here, without
        # the calls of the general case: the walk is most of what a batch's events cost.
        key_bytes = len(key)
        if 0 < key_bytes <= MAX_KEY_BYTES and _is_plain(key):
            key_json = key_bytes + 2
        else:
            key_bytes, key_json = _key_bytes(key, faults)
        if type(item) is str and _is_plain(item):
            size = len(item)
            walked[key] = item
            attribute[key] = {"S": item}
            json_bytes += key_json + 3 + size
            item_bytes += _ELEMENT_BYTES + key_bytes + size
            continue
        first = len(faults) if faults else 0
        walked[key], attribute[key], item_json, item_size = _value(item, depth + 1, faults)
        if faults and len(faults) != first:
            _located(faults, first, key)
        json_bytes += key_json + 1 + item_json
        item_bytes += _ELEMENT_BYTES + key_bytes + item_size
    return {"M": attribute}, json_bytes, item_bytes


def _is_plain(text: str) -> bool:
    """ASCII that compact JSON writes as it is: its UTF-8 and its JSON are its characters."""
    return text.isascii() and text.isprintable() and '"' not in text and "\\" not in text


def _key_bytes(key: str, faults: list[_Fault]) -> tuple[int, int]:
    """A key that is not plain, or is empty or too long: its sizes (`_text_bytes`), and its
    faults."""
    key_bytes, key_json = _text_bytes(key)
    if key == "":
        _record(faults, _Fault("object keys must not be empty", "empty_key", key))
    elif key_bytes < 0:
        _record(faults, _Fault("the key is not valid Unicode", "invalid_unicode", key))
    elif key_bytes > MAX_KEY_BYTES:
        _record(faults, _Fault(f"keys are at most {MAX_KEY_BYTES} bytes", "key_too_long"))
    return key_bytes, key_json


def _array(value: list[Any], depth: int, faults: list[_Fault]) -> _Walked:
    walked: list[Any] = []
    attribute: list[dict[str, Any]] = []
    json_bytes = 1 + (len(value) or 1)
    item_bytes = _CONTAINER_BYTES
    for index, item in enumerate(value):
        if type(item) is str and _is_plain(item):
            size = len(item)
            walked.append(item)
            attribute.append({"S": item})
            json_bytes += size + 2
            item_bytes += _ELEMENT_BYTES + size
            continue
        first = len(faults) if faults else 0
        item_walked, item_attribute, item_json, item_size = _value(item, depth + 1, faults)
        if faults and len(faults) != first:
            _located(faults, first, index)
        walked.append(item_walked)
        attribute.append(item_attribute)
        json_bytes += item_json
        item_bytes += _ELEMENT_BYTES + item_size
    return walked, {"L": attribute}, json_bytes, item_bytes


def _value(value: Any, depth: int, faults: list[_Fault]) -> _Walked:
    # Exact types first (text, the commonest value, at once); subclasses take the last branch.
    kind = type(value)
    if kind is str:
        return _text(value, faults)
    if kind is Decimal or kind is int:
        return _number(value, faults)
    if kind is dict or kind is list:
        return _container(value, depth, faults)
    if value is None:
        return None, {"NULL": True}, 4, _SCALAR_BYTES
    if kind is bool:
        return value, {"BOOL": value}, 4 if value else 5, _SCALAR_BYTES
    if kind is NonFiniteNumber:
        message = f"{value.literal} is not a number JSON allows"
        _record(faults, _Fault(message, "not_finite"))
        return value, {}, 0, 0
    return _other(value, depth, faults)


def _other(value: Any, depth: int, faults: list[_Fault]) -> _Walked:
    """Subclasses of the JSON types, and floats from callers in this process (the parsers make
    Decimals): a float is the number its shortest spelling (`repr`) states."""
    if isinstance(value, float):
        return _number(Decimal(repr(value)), faults)
    if isinstance(value, dict | list):
        return _container(value, depth, faults)
    if isinstance(value, str):
        return _text(str(value), faults)
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return _number(value, faults)
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def _container(value: dict[str, Any] | list[Any], depth: int, faults: list[_Fault]) -> _Walked:
    if depth > MAX_DETAILS_DEPTH:
        if nests_past(value, MAX_WALKED_DEPTH - depth):
            raise NestsTooDeep
        message = f"nesting deeper than {MAX_DETAILS_DEPTH} levels is not stored"
        _record(faults, _Fault(message, "too_deep"))
        return value, {}, 0, 0
    if isinstance(value, dict):
        walked: dict[str, Any] = {}
        return walked, *_object(value, depth, faults, walked)
    return _array(value, depth, faults)


def _text(value: str, faults: list[_Fault]) -> _Walked:
    size, json_bytes = _text_bytes(value)
    if size < 0:
        _record(faults, _Fault("text holds an unpaired surrogate", "invalid_unicode"))
        return value, {}, 0, 0
    return value, {"S": value}, json_bytes, size


def _text_bytes(text: str) -> tuple[int, int]:
    """The bytes of `text` as UTF-8, and as a compact JSON string (quotes and escapes added);
    -1 for both when it holds an unpaired surrogate (it has no UTF-8)."""
    if text.isascii():
        size = len(text)
    else:
        try:
            size = len(text.encode())
        except UnicodeEncodeError:
            return -1, -1
    if '"' not in text and "\\" not in text and text.isprintable():
        return size, size + 2
    escapes = _ESCAPED.findall(text)
    return size, size + 2 + sum(1 if char in _SHORT_ESCAPES else 5 for char in escapes)


def _number(value: Decimal | int, faults: list[_Fault]) -> _Walked:
    """A number's rules (finite, 38 significant digits, DynamoDB's magnitudes) and its normal
    spelling."""
    number = value if type(value) is Decimal else Decimal(value)
    if not number.is_finite():
        _record(faults, _Fault("numbers must be finite", "not_finite"))
        return number, {}, 0, 0
    text = str(number)
    if "E" not in text and text[-1] != "0":
        # Spelled without an exponent, no trailing zero: its normal spelling already (see
        # `normal_and_significant`), and in DynamoDB's range (at least 1E-6, at most 38 digits
        # before the point); its significant digits are those after leading zeros.
        significant = len(text.replace(".", "").lstrip("-0"))
        if significant <= MAX_NUMBER_DIGITS:
            return number, {"N": text}, len(text), (significant + 1) // 2 + 2
    elif "E" not in text and "." not in text and text.lstrip("-") != "0":
        # An integer ending in zeros: normal when written out in at most 38 digits.
        digits = text.lstrip("-")
        if len(digits) <= MAX_NUMBER_DIGITS:
            significant = len(digits.rstrip("0"))
            return number, {"N": text}, len(text), (significant + 1) // 2 + 2
    normal, significant = normal_and_significant(number)
    if significant > MAX_NUMBER_DIGITS:
        message = f"numbers keep at most {MAX_NUMBER_DIGITS} significant digits"
        _record(faults, _Fault(message, "number_too_precise"))
    elif not normal.is_zero() and not (
        _MIN_ADJUSTED_EXPONENT <= normal.adjusted() <= _MAX_ADJUSTED_EXPONENT
    ):
        message = "numbers must be 0 or have a magnitude between 1E-130 and 9.99…E+125"
        _record(faults, _Fault(message, "number_out_of_range"))
    text = str(normal)
    return normal, {"N": text}, len(text), (significant + 1) // 2 + 2
