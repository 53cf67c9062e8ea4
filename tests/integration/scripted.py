"""A DynamoDB endpoint that answers what a test scripts (throttling, access denied), for the
failure paths of the details store."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

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
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["content-length"]))
                scripted.calls += 1
                status, body = scripted.script.pop(0) if scripted.script else scripted.then
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/x-amz-json-1.0")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"
