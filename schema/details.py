"""The rules for an event's `details` document, checked before anything is written.

Each rule exists because DynamoDB (or our own size budget) would refuse the document later, and
a refusal after the write began would be a 500 or a half-written event instead of a clear 422.
"""

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from schema.errors import FieldError, child_path, is_encodable
from schema.jsonvalue import NonFiniteNumber, dump_json
from schema.limits import (
    MAX_DETAILS_DEPTH,
    MAX_DETAILS_ITEM_BYTES,
    MAX_KEY_BYTES,
    MAX_NUMBER_DIGITS,
    MAX_NUMBER_MAGNITUDE,
    MAX_REPORTED_ERRORS,
    MIN_NUMBER_MAGNITUDE,
    Limits,
)

# DynamoDB's size accounting: a map or list costs 3 bytes, each element 1 more.
_CONTAINER_BYTES = 3
_ELEMENT_BYTES = 1
# DynamoDB's size of a document is at most this many times its compact JSON size, plus this
# (a one-digit number, 1 byte of JSON, costs DynamoDB 3; a test holds the bound): below it, the
# item budget cannot be reached and its walk is skipped (always, at the default 64 KiB limit).
_DYNAMODB_BYTES_PER_JSON_BYTE = 3
_DYNAMODB_SLACK_BYTES = 16


def check_details(
    details: dict[str, Any], limits: Limits, root: str = "details"
) -> list[FieldError]:
    """Every rule broken by `details`, each with the path of the offending value. A first walk
    only asks whether any rule is broken; the walk that names paths runs when one is."""
    errors: list[FieldError] = []
    if not _obeys(details, depth=1):
        for error in _walk(details, root, depth=1):
            errors.append(error)
            if len(errors) >= MAX_REPORTED_ERRORS:
                return errors
    if errors:
        return errors
    size = len(dump_json(details))
    if size > limits.max_details_bytes:
        errors.append(
            FieldError(
                root,
                f"details take {size} bytes as compact JSON; the limit is "
                f"{limits.max_details_bytes} bytes",
                "too_large",
            )
        )
    elif _DYNAMODB_BYTES_PER_JSON_BYTE * size + _DYNAMODB_SLACK_BYTES > MAX_DETAILS_ITEM_BYTES and (
        dynamodb_size(details) > MAX_DETAILS_ITEM_BYTES
    ):
        errors.append(
            FieldError(
                root,
                f"details would exceed the {MAX_DETAILS_ITEM_BYTES}-byte item budget of the "
                "details store (many small numbers, nulls or empty lists cost more there)",
                "too_large_for_store",
            )
        )
    return errors


def _obeys(value: Any, depth: int) -> bool:
    """Whether `value` breaks none of `_walk`'s rules (no paths made: the common case)."""
    if isinstance(value, dict):
        return (
            depth <= MAX_DETAILS_DEPTH
            and all(map(_key_fits, value))
            and all(_obeys(item, depth + 1) for item in value.values())
        )
    if isinstance(value, list):
        return depth <= MAX_DETAILS_DEPTH and all(_obeys(item, depth + 1) for item in value)
    if isinstance(value, str):
        return is_encodable(value)
    if isinstance(value, NonFiniteNumber):
        return False
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int | Decimal):
        return next(_check_number(Decimal(value), ""), None) is None
    return True


def _key_fits(key: str) -> bool:
    # A character takes at most 4 bytes of UTF-8: most keys need no encoding to be measured.
    short = len(key) * 4 <= MAX_KEY_BYTES
    return key != "" and is_encodable(key) and (short or len(key.encode()) <= MAX_KEY_BYTES)


def _walk(value: Any, path: str, depth: int) -> Iterator[FieldError]:
    if isinstance(value, dict | list) and depth > MAX_DETAILS_DEPTH:
        yield FieldError(
            path, f"nesting deeper than {MAX_DETAILS_DEPTH} levels is not stored", "too_deep"
        )
    elif isinstance(value, dict):
        yield from _walk_object(value, path, depth)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]", depth + 1)
    elif isinstance(value, str):
        if not is_encodable(value):
            yield FieldError(path, "text holds an unpaired surrogate", "invalid_unicode")
    elif isinstance(value, NonFiniteNumber):
        yield FieldError(path, f"{value.literal} is not a number JSON allows", "not_finite")
    elif isinstance(value, int) and not isinstance(value, bool):
        # GraphQL variables keep integers as int: the same rules apply.
        yield from _check_number(Decimal(value), path)
    elif isinstance(value, Decimal):
        yield from _check_number(value, path)


def _walk_object(value: dict[str, Any], path: str, depth: int) -> Iterator[FieldError]:
    for key, item in value.items():
        here = child_path(path, key)
        if key == "":
            yield FieldError(here, "object keys must not be empty", "empty_key")
        elif not is_encodable(key):
            yield FieldError(here, "the key is not valid Unicode", "invalid_unicode")
        elif len(key.encode()) > MAX_KEY_BYTES:
            yield FieldError(path, f"keys are at most {MAX_KEY_BYTES} bytes", "key_too_long")
        yield from _walk(item, here, depth + 1)


def _check_number(number: Decimal, path: str) -> Iterator[FieldError]:
    if not number.is_finite():
        yield FieldError(path, "numbers must be finite", "not_finite")
    elif number.is_zero():
        return
    elif significant_digits(number) > MAX_NUMBER_DIGITS:
        yield FieldError(
            path,
            f"numbers keep at most {MAX_NUMBER_DIGITS} significant digits",
            "number_too_precise",
        )
    elif not MIN_NUMBER_MAGNITUDE <= number.copy_abs() <= MAX_NUMBER_MAGNITUDE:  # exact, unrounded
        yield FieldError(
            path,
            "numbers must be 0 or have a magnitude between 1E-130 and 9.99…E+125",
            "number_out_of_range",
        )


def significant_digits(number: Decimal) -> int:
    digits = "".join(map(str, number.as_tuple().digits)).strip("0")
    return max(len(digits), 1)


def dynamodb_size(value: Any) -> int:
    """An upper bound of the bytes DynamoDB counts for `value` (its published formula)."""
    if isinstance(value, dict):
        return _CONTAINER_BYTES + sum(
            _ELEMENT_BYTES + len(key.encode()) + dynamodb_size(item) for key, item in value.items()
        )
    if isinstance(value, list):
        return _CONTAINER_BYTES + sum(_ELEMENT_BYTES + dynamodb_size(item) for item in value)
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return (significant_digits(Decimal(value)) + 1) // 2 + 2
    return 1
