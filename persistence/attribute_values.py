"""JSON documents as DynamoDB attribute values and back, every number exact both ways.

Hand-written instead of boto3's TypeSerializer/TypeDeserializer: both pass numbers through a
38-digit decimal context that traps rounding even of zeros, so they refuse numbers DynamoDB
stores. The serializer refuses `1.0000000000000000000000000000000000000000` and `0E-200`; the
deserializer refuses what DynamoDB answers for `1E+40`, which it writes out in full
(boto/boto3#2500, #4693). The rules in `schema.details` have already held every number to
DynamoDB's own limits (38 significant digits, magnitudes 1E-130 to 9.99...E+125); numbers are
sent in their normal spelling and read back with Decimal's exact parse, then spelled normally
again, since DynamoDB trims zeros and emulators do not.
"""

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from schema.jsonvalue import normal_number

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef
else:
    AttributeValueTypeDef = dict


def to_attribute(value: Any) -> "AttributeValueTypeDef":
    """A JSON value (numbers as Decimal or int) as a DynamoDB attribute value."""
    if isinstance(value, dict):
        return {"M": {key: to_attribute(item) for key, item in value.items()}}
    if isinstance(value, list):
        return {"L": [to_attribute(item) for item in value]}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bool):
        return {"BOOL": value}
    if value is None:
        return {"NULL": True}
    if isinstance(value, Decimal | int):
        return {"N": str(normal_number(value))}
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def from_attribute(attribute: "AttributeValueTypeDef") -> Any:
    """The JSON value of an attribute value written by `to_attribute`."""
    if "M" in attribute:
        return {key: from_attribute(item) for key, item in attribute["M"].items()}
    if "L" in attribute:
        return [from_attribute(item) for item in attribute["L"]]
    if "S" in attribute:
        return attribute["S"]
    if "BOOL" in attribute:
        return attribute["BOOL"]
    if "NULL" in attribute:
        return None
    if "N" in attribute:
        return normal_number(Decimal(attribute["N"]))
    raise TypeError(f"not an attribute value of a JSON document: {sorted(attribute)}")
