"""Lambda events of the claim checks, made from the ones `sam local generate-event dynamodb
update` and `sam local generate-event sqs receive-message` print (stored in tests/e2e/events/),
edited only in keys, names, times and bodies."""

import copy
import json
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).parent / "e2e" / "events"


def stream_records(event_ids: list[str], *, made_s: float, name: str = "INSERT") -> list[Any]:
    """Records of a stream of keys only (the template's view type), one per eventId."""
    (template,) = [
        record
        for record in json.loads((EVENTS / "dynamodb-update.json").read_text())["Records"]
        if record["eventName"] == name
    ]
    records = []
    for event_id in event_ids:
        record = copy.deepcopy(template)
        change = record["dynamodb"]
        change.pop("NewImage", None)
        change.pop("OldImage", None)
        change["Keys"] = {"eventId": {"S": event_id}}
        change["ApproximateCreationDateTime"] = made_s
        change["StreamViewType"] = "KEYS_ONLY"
        records.append(record)
    return records


def queue_records(messages: list[dict[str, Any]]) -> list[Any]:
    """SQS's records for the messages ReceiveMessage answered."""
    (template,) = json.loads((EVENTS / "sqs-receive-message.json").read_text())["Records"]
    return [
        copy.deepcopy(template) | {"messageId": message["MessageId"], "body": message["Body"]}
        for message in messages
    ]
