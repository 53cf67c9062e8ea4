"""JSON documents as DynamoDB attribute values and back, every number exact both ways.

Hand-written instead of boto3's TypeSerializer/TypeDeserializer: both pass numbers through a
38-digit decimal context that traps rounding even of zeros, so they refuse numbers DynamoDB
stores. The serializer refuses `1.0000000000000000000000000000000000000000` and `0E-200`; the
deserializer refuses what DynamoDB answers for `1E+40`, which it writes out in full
(boto/boto3#2500, #4693). The walk of the rules (`schema.details.walk_details`) has already held
every number to DynamoDB's own limits (38 significant digits, magnitudes 1E-130 to
9.99...E+125) and made the attribute value, numbers in their normal spelling, beside the
document; they are read back with Decimal's exact parse, then spelled normally again, since
DynamoDB trims zeros and emulators do not.
"""

from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from schema.details import Details, walk_details
from schema.jsonvalue import normal_number
from schema.limits import Limits

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef
else:
    AttributeValueTypeDef = dict


def to_attribute(details: dict[str, Any]) -> "AttributeValueTypeDef":
    """A details object as a DynamoDB attribute value: the one `walk_details` made beside it
    (every event's details were walked by the rules), or, for any other object, the one a walk
    makes now."""
    walked = details if isinstance(details, Details) else walk_details(details, Limits()).details
    return cast("AttributeValueTypeDef", walked.attribute)


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
