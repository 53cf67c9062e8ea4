"""The app over HTTP against real stores: moto's server for DynamoDB, a SQLite file for SQL."""

import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.auth.dev_issuer import LocalIssuer
from gateway.settings import Settings
from gateway.stores import dynamodb_client, open_stores
from persistence.details import DynamoDetailStore
from tests.auth import Clock, authentication, silent_jwks, with_issuer
from tests.conftest import REMOTE_BASE_URL, TEST_CURSOR_SECRET


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
    """Runs the app's lifespan: the stores are opened (and tables made) as in production.
    With `make test-remote BASE_URL=...`, a client of that server instead."""
    if REMOTE_BASE_URL:
        with httpx.Client(base_url=REMOTE_BASE_URL, timeout=30) as remote:
            yield remote
        return
    with TestClient(request.getfixturevalue("app"), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def emulator_client(emulator_settings: Settings) -> Iterator[TestClient]:
    """As `client`, once with the details in moto and once in dynalite."""
    with TestClient(create_app(emulator_settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def auth_settings(settings: Settings, issuer: LocalIssuer) -> Settings:
    """The test stores, with bearer tokens required from the tests' issuer."""
    return with_issuer(settings, issuer)


@pytest.fixture
def auth_client(auth_settings: Settings, clock: Clock) -> Iterator[TestClient]:
    """The app with authentication on: tokens are checked against the issuer's JWKS over HTTP."""
    app = create_app(auth_settings, authentication=authentication(auth_settings, clock))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def silent_issuer_client(
    settings: Settings, issuer: LocalIssuer, silent_port: int
) -> Iterator[TestClient]:
    """The app checking tokens against an issuer whose JWKS never answers."""
    app = create_app(with_issuer(settings, issuer, **silent_jwks(silent_port)))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


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
        flaky = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                operation = self.headers["x-amz-target"].rpartition(".")[2]
                if flaky.down and operation in flaky.failing:
                    flaky.refused += 1
                    status, payload = flaky.answer
                else:
                    status, payload = flaky.forward(self.headers, body)
                self.send_response(status)
                self.send_header("content-type", "application/x-amz-json-1.0")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_: Any) -> None:
                pass

        self.upstream = upstream
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

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


@pytest.fixture
def flaky_dynamodb(moto_endpoint: str) -> Iterator[Any]:
    made: list[FlakyDynamoDB] = []

    def make(failing: set[str]) -> FlakyDynamoDB:
        made.append(FlakyDynamoDB(moto_endpoint, failing))
        return made[-1]

    yield make
    for endpoint in made:
        endpoint.server.shutdown()


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


@pytest.fixture
def live_url(app: FastAPI) -> Iterator[str]:
    with LiveServer(app) as url:
        yield url


@pytest.fixture
def http(request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
    """A real HTTP client of a real server (uvicorn here, or BASE_URL's)."""
    base_url = REMOTE_BASE_URL or request.getfixturevalue("live_url")
    with httpx.Client(base_url=base_url, timeout=30) as client:
        yield client


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
