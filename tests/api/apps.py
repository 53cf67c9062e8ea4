"""The app in this process over real stores, and the doubles and servers the API tests build it
with."""

import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import uvicorn
from fastapi import FastAPI

from gateway.app import create_app
from gateway.settings import Settings
from gateway.stores import dynamodb_client, open_stores
from persistence.details import DynamoDetailStore
from tests.dynamodb_endpoint import dynamodb_endpoint
from tests.stores import TEST_CURSOR_SECRET


def app_with(settings: Settings, metadata: Any = None, details: Any = None) -> FastAPI:
    """The real app over the real stores of `settings`, with one of them swapped for a double or
    for a store pointing somewhere else: the boundary a failure test is about."""
    with open_stores(settings) as real:
        stores = replace(
            real,
            metadata=metadata or real.metadata,
            details=details or real.details,
            cursor_secret=TEST_CURSOR_SECRET.encode(),
        )
    return create_app(settings, stores)


def details_store_at(settings: Settings, endpoint: str) -> DynamoDetailStore:
    client = dynamodb_client(settings, endpoint)
    return DynamoDetailStore(
        settings.details_table, client, max_attempts=settings.dynamodb_max_attempts
    )


class FlakyDynamoDB:
    """An HTTP endpoint in front of a DynamoDB emulator: while `down`, it answers the operations
    in `failing` as DynamoDB does when it fails (500, InternalServerError) and forwards every
    other call. A store failing at one step of a request, reached through botocore's whole
    stack, retries included."""

    def __init__(self, upstream: str, failing: set[str]) -> None:
        self.down, self.failing, self.refused = True, failing, 0
        # What a failing call answers (a test may make it a throttle: 400, ThrottlingException).
        self.answer = (500, b'{"__type": "InternalServerError"}')
        self.upstream = upstream
        self.server = dynamodb_endpoint(self._answer)

    def _answer(self, headers: Any, body: bytes) -> tuple[int, bytes]:
        operation = headers["x-amz-target"].rpartition(".")[2]
        if self.down and operation in self.failing:
            self.refused += 1
            return self.answer
        return self.forward(headers, body)

    def forward(self, headers: Any, body: bytes) -> tuple[int, bytes]:
        names = ("content-type", "x-amz-target", "authorization", "x-amz-date")
        sent = {name: headers[name] for name in names if headers[name] is not None}
        request = urllib.request.Request(self.upstream, data=body, headers=sent, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as refused:
            return refused.code, refused.read()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


class LiveServer:
    """uvicorn serving the app in a thread, on a socket bound before it starts: clients may
    connect at once (the kernel queues them until uvicorn accepts), so nobody polls or sleeps."""

    def __init__(self, app: FastAPI) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False))
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

    def __enter__(self) -> str:
        self.socket.listen(128)
        self.thread.start()
        host, port = self.socket.getsockname()
        return f"http://{host}:{port}"

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()


class BrokenMetadataStore:
    """A metadata store that fails in a way nobody planned for, with SQL in its message."""

    def _fail(self, *_: object) -> None:
        raise RuntimeError("SELECT secret FROM internals -- stack detail")

    get = list_page = insert = ping = _fail


def oversized_stream(prefix: bytes, suffix: bytes, size: int = 40 * 8192) -> Iterator[bytes]:
    """A body sent in chunks, with no Content-Length, larger than any limit we set."""
    yield prefix
    for _ in range(size // 8192):
        yield b"x" * 8192
    yield suffix
