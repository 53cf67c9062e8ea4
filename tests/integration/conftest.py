"""Real adapters: DynamoDB through botocore to moto's server and to dynalite (each test of the
details store runs against both), SQL through SQLAlchemy to SQLite."""

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from gateway.settings import Settings
from gateway.stores import dynamodb_client
from persistence.details import DynamoDetailStore, ensure_details_table
from persistence.metadata import SqlMetadataStore, create_metadata_schema
from persistence.sql_engine import build_engine


@pytest.fixture
def client(emulator_settings: Settings) -> Any:
    client = dynamodb_client(emulator_settings, emulator_settings.dynamodb_endpoint)
    ensure_details_table(client, emulator_settings.details_table)
    return client


@pytest.fixture
def detail_store(client: Any, details_table: str) -> DynamoDetailStore:
    return DynamoDetailStore(details_table, client)


@pytest.fixture
def engine(settings: Settings) -> Engine:
    engine = build_engine(
        settings.database_url,
        connect_timeout_seconds=2,
        query_timeout_seconds=2,
        pool_size=2,
        pool_timeout_seconds=2,
    )
    create_metadata_schema(engine)
    return engine


@pytest.fixture
def metadata_store(engine: Engine) -> SqlMetadataStore:
    return SqlMetadataStore(engine)


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


@pytest.fixture
def scripted_dynamodb() -> Iterator[Callable[..., ScriptedDynamoDB]]:
    made: list[ScriptedDynamoDB] = []

    def make(*args: Any) -> ScriptedDynamoDB:
        made.append(ScriptedDynamoDB(*args))
        return made[-1]

    yield make
    for endpoint in made:
        endpoint.server.shutdown()
