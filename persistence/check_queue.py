"""The queue of delayed claim checks in SQS: each message names some eventIds whose items are to
be checked once their grace period is over (`gateway.resolvers.claim_checks`), and is delivered
no earlier than its delay (SQS allows up to 15 minutes).

Only eventIds travel: never details, so nothing an erasure removes lingers in a queue."""

import json
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

# boto3's SQS client (its stubs are not among the project's type packages).
SQSClient = Any

# SQS's longest delay of a message.
MAX_DELAY_SECONDS = 900
# eventIds a message names (at most 36 characters each: well under SQS's 256 KiB), and messages
# a SendMessageBatch sends.
IDS_PER_MESSAGE = 500
MESSAGES_PER_BATCH = 10


class QueueUnavailable(Exception):
    """SQS refused or did not answer; the checks asked for were not all queued."""


class SqsCheckQueue:
    def __init__(self, queue_url: str, client: SQSClient) -> None:
        self._url = queue_url
        self._client = client

    def send(self, event_ids: Sequence[str], delay_seconds: int) -> None:
        """Queue checks of `event_ids`, delivered after `delay_seconds` (at most 900)."""
        delay = max(0, min(MAX_DELAY_SECONDS, delay_seconds))
        bodies = [
            json.dumps({"eventIds": list(event_ids[start : start + IDS_PER_MESSAGE])})
            for start in range(0, len(event_ids), IDS_PER_MESSAGE)
        ]
        for start in range(0, len(bodies), MESSAGES_PER_BATCH):
            entries = [
                {"Id": str(index), "MessageBody": body, "DelaySeconds": delay}
                for index, body in enumerate(bodies[start : start + MESSAGES_PER_BATCH])
            ]
            try:
                answer = self._client.send_message_batch(QueueUrl=self._url, Entries=entries)
            except (BotoCoreError, ClientError) as exc:
                raise QueueUnavailable(type(exc).__name__) from exc
            if answer.get("Failed"):
                raise QueueUnavailable(f"{len(answer['Failed'])} messages refused")


def event_ids_of(body: str) -> list[str]:
    """The eventIds a message of this queue names (ValueError for any other message)."""
    message = json.loads(body)
    event_ids = message.get("eventIds") if isinstance(message, dict) else None
    if not isinstance(event_ids, list) or not all(isinstance(one, str) for one in event_ids):
        raise ValueError("not a claim check: no list of eventIds")
    return event_ids
