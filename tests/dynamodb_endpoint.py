"""A local HTTP endpoint that speaks DynamoDB's wire format, answering each call as a test says:
what botocore reaches through its whole stack (signing, retries), for failure paths."""

import threading
from collections.abc import Callable
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# A call's headers and body to the status and body answered.
Answer = Callable[[Message, bytes], tuple[int, bytes]]


def dynamodb_endpoint(answer: Answer) -> ThreadingHTTPServer:
    """A server on 127.0.0.1 (any free port), serving in a daemon thread."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            status, payload = answer(self.headers, body)
            self.send_response(status)
            self.send_header("content-type", "application/x-amz-json-1.0")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
