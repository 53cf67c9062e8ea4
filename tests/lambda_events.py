"""Lambda invocations as API Gateway makes them (REST API v1 and HTTP API v2 events) and the
context Lambda passes, for the handler and the built artifact."""

import copy
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

# API Gateway's sample events, as `sam local generate-event` makes them.
EVENTS = Path(__file__).parent / "e2e" / "events"


class LambdaContext:
    """What Lambda passes the handler: here, an invocation with `remaining_ms` left (the handler
    reads only these members, so calls pass it where Mangum's type names the full context)."""

    function_name = "eventlog"
    aws_request_id = "test-invocation"

    def __init__(self, remaining_ms: int = 29_000) -> None:
        self.deadline = time.monotonic() + remaining_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return int((self.deadline - time.monotonic()) * 1000)


def api_gateway_event(
    kind: str,
    method: str,
    path: str,
    *,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    body: str | None = None,
) -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(json.loads((EVENTS / f"{kind}.json").read_text()))
    headers = {"accept": "*/*", **(headers or {})}
    query = query or {}
    if kind == "http-api-v2":
        event["rawPath"] = event["requestContext"]["http"]["path"] = path
        event["requestContext"]["http"]["method"] = method
        event["rawQueryString"] = urlencode(query)
        event["queryStringParameters"] = query or None
        event["headers"] = headers
        event["cookies"] = []
    else:
        event["path"] = path
        event["requestContext"]["path"] = path
        event["httpMethod"] = event["requestContext"]["httpMethod"] = method
        event["queryStringParameters"] = query or None
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} or None
        event["headers"] = headers
        event["multiValueHeaders"] = {name: [value] for name, value in headers.items()}
    event["body"] = body
    event["isBase64Encoded"] = False
    return event
