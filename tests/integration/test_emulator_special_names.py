"""Both DynamoDB emulators treat attribute names that JavaScript or Python give a meaning of their
own as names like any other, in every kind of expression: conditions, updates (SET, ADD,
REMOVE, if_not_exists) and projections, at the top of an item and inside a map. The details
store reaches them only through whole maps and fixed names; these are the rest of what dynalite's
patch (patches/) changes, held to DynamoDB's documented answers."""

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from persistence.details import ensure_details_table

NAMES = ["__proto__", "constructor", "toString", "hasOwnProperty", "__class__", "\u200b"]


@pytest.mark.parametrize("name", NAMES)
def test_a_special_attribute_name_works_in_every_expression(
    client: Any, details_table: str, name: str
) -> None:
    ensure_details_table(client, details_table)
    key = {"eventId": {"S": str(uuid.uuid4())}}
    names = {"#n": name}

    def update(expression: str, **values: Any) -> dict[str, Any]:
        options: dict[str, Any] = {"ExpressionAttributeValues": values} if values else {}
        answer: dict[str, Any] = client.update_item(
            TableName=details_table,
            Key=key,
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ReturnValues="ALL_NEW",
            **options,
        )
        return answer["Attributes"]

    def item(**projection: Any) -> dict[str, Any]:
        answer = client.get_item(
            TableName=details_table, Key=key, ConsistentRead=True, **projection
        )
        return dict(answer["Item"])

    with pytest.raises(ClientError) as refused:
        client.put_item(
            TableName=details_table,
            Item={**key, "a": {"S": "1"}},
            ConditionExpression="attribute_exists(#n)",
            ExpressionAttributeNames=names,
        )
    assert refused.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    client.put_item(
        TableName=details_table,
        Item={**key, "a": {"S": "1"}},
        ConditionExpression="attribute_not_exists(#n)",
        ExpressionAttributeNames=names,
    )
    update("SET #n = :v, m = :m", **{":v": {"S": "top"}, ":m": {"M": {}}})
    update("SET m.#n = :v", **{":v": {"N": "5"}})
    update("ADD m.#n :v", **{":v": {"N": "2"}})
    update("SET l = if_not_exists(#n, :d)", **{":d": {"S": "default"}})
    client.update_item(
        TableName=details_table,
        Key=key,
        UpdateExpression="SET z = :ok",
        ConditionExpression="attribute_exists(m.#n) AND m.#n = :seven",
        ExpressionAttributeNames=names,
        ExpressionAttributeValues={":ok": {"S": "ok"}, ":seven": {"N": "7"}},
    )
    assert item() == {
        **key,
        "a": {"S": "1"},
        name: {"S": "top"},
        "m": {"M": {name: {"N": "7"}}},
        "l": {"S": "top"},
        "z": {"S": "ok"},
    }
    assert item(ProjectionExpression="#n, m.#n", ExpressionAttributeNames=names) == {
        name: {"S": "top"},
        "m": {"M": {name: {"N": "7"}}},
    }
    assert update("REMOVE m.#n, #n") == {
        **key,
        "a": {"S": "1"},
        "m": {"M": {}},
        "l": {"S": "top"},
        "z": {"S": "ok"},
    }
