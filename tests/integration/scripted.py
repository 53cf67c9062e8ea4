"""A DynamoDB endpoint that answers what a test scripts (throttling, access denied), for the
failure paths of the details store."""

import json
from typing import Any

from tests.dynamodb_endpoint import dynamodb_endpoint

THROTTLED = (
    400,
    {"__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException", "message": "Rate exceeded"},
)


DENIED = (400, {"__type": "com.amazonaws.dynamodb.v20120810#AccessDeniedException"})


class ScriptedDynamoDB:
    """An HTTP endpoint answering DynamoDB calls from a script, then with `then` for ever: the
    boundary a retry test is about (throttling), reached through botocore's whole stack, its
    retry machinery included (botocore's Stubber answers before any of it runs)."""

    def __init__(self, script: list[tuple[int, dict[str, Any]]], then: tuple[int, dict[str, Any]]):
        self.script, self.then, self.calls = list(script), then, 0
        self.server = dynamodb_endpoint(self._answer)

    def _answer(self, _headers: Any, _body: bytes) -> tuple[int, bytes]:
        self.calls += 1
        status, body = self.script.pop(0) if self.script else self.then
        return status, json.dumps(body).encode()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"
