"""Fixtures shared by every level: real DynamoDB emulators (moto's server in this process,
dynalite in its own), and settings pointing at real stores."""

import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy.dialects.mssql import pyodbc as mssql_pyodbc
from sqlalchemy.engine import URL

from gateway.auth.dev_issuer import LocalIssuer
from gateway.settings import Settings
from persistence.embedded import DYNALITE_CLI, Dynalite, EmbeddedDynamoDB
from persistence.metadata import SqlMetadataStore
from persistence.sql_engine import build_engine

TEST_CURSOR_SECRET = "test-cursor-secret-of-at-least-32-characters"
# A password with URL delimiters: spliced into a URL, it would move the host.
PASSWORD = "P@ssw0rd#2026"
# The two independent DynamoDB implementations the details store is tested against.
EMULATORS = ("moto", "dynalite")
# Opt-in live stores (tests/live), kept before the EVENTLOG_* variables are cleared below.
LIVE_SETTINGS = {
    name: value for name, value in os.environ.items() if name.startswith("EVENTLOG_TEST_")
}
# `make test-remote BASE_URL=...`: the API tests and the docs' examples against a running
# deployment (compose, `sam local start-api`, a stage) instead of an app in this process.
REMOTE_BASE_URL = LIVE_SETTINGS.get("EVENTLOG_TEST_BASE_URL", "").rstrip("/")
# The fixtures that reach the server under test; a test needing anything else (settings, a
# store double, the stores' contents) needs the app in this process and is left out.
REMOTE_FIXTURES = {"client", "http", "embedded_server"}
REMOTE_ALLOWED = REMOTE_FIXTURES | {"request", "spec", "tmp_path", "tmp_path_factory"}
# The docs' examples record fixed eventIds: one document per fresh stack (`DOCS=README.md`).
REMOTE_DOCUMENT = LIVE_SETTINGS.get("EVENTLOG_TEST_DOCS") or "docs/rest.md"


# Property-based tests are deterministic (derandomized, no example database) and bounded: each
# test sets its own max_examples so `make test` stays within minutes. Fixtures of a test (an app,
# its stores) are shared by its examples on purpose; every example uses ids of its own.
hypothesis_settings.register_profile(
    "eventlog",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
hypothesis_settings.load_profile("eventlog")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--save-screenshots",
        action="store_true",
        help="keep the browser tests' screenshots in docs/img/ (for the README)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not REMOTE_BASE_URL:
        return
    kept: list[pytest.Item] = []
    left_out: list[pytest.Item] = []
    for item in items:
        parameters = dict(getattr(getattr(item, "callspec", None), "params", {}))
        fixtures = set(getattr(item, "fixturenames", ())) - set(parameters)
        remote = fixtures & REMOTE_FIXTURES and fixtures <= REMOTE_ALLOWED
        local_only = item.get_closest_marker("local_assets") is not None
        other_document = parameters.get("document", REMOTE_DOCUMENT) != REMOTE_DOCUMENT
        (kept if remote and not (local_only or other_document) else left_out).append(item)
    config.hook.pytest_deselected(items=left_out)
    items[:] = kept


def pytest_configure() -> None:
    """Fake credentials for moto, and no chance of reaching a real AWS account from a test.

    Authentication is off for every Settings a test builds (EVENTLOG_AUTH=none), this being the
    one place that says so: tests of stores and rules call as anyone. Tests of access turn it on
    with an issuer of their own (tests/auth.py); tests of the fail-closed rule unset it."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        os.environ[name] = value
    for name in [name for name in os.environ if name.startswith("EVENTLOG_")]:
        del os.environ[name]
    os.environ["EVENTLOG_AUTH"] = "none"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """DynamoDB over real HTTP: botocore talks to moto's server as it would to AWS (the same
    emulator `make run` embeds)."""
    server = EmbeddedDynamoDB()
    yield server.start()
    server.stop()


@pytest.fixture(scope="session")
def dynalite_endpoint() -> Iterator[str]:
    """dynalite over real HTTP: an independent DynamoDB implementation (Node.js, in memory) in
    a process of its own on a free port. It trims numbers as DynamoDB does, where moto keeps
    the spelling it was sent, so quirks of one emulator cannot hide a bug."""
    if not DYNALITE_CLI.exists():
        pytest.fail("dynalite is not installed: run `make dynalite` (`make test` does)")
    dynalite = Dynalite()
    yield dynalite.start()
    dynalite.stop()


@pytest.fixture(params=EMULATORS)
def emulator_endpoint(request: pytest.FixtureRequest) -> str:
    """Each DynamoDB emulator in turn: tests taking it run once against each."""
    endpoint: str = request.getfixturevalue(f"{request.param}_endpoint")
    return endpoint


def unique_table() -> str:
    return f"details-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def details_table() -> str:
    return unique_table()


def store_settings(database: Path, endpoint: str, details_table: str, **overrides: Any) -> Settings:
    """The one place tests build Settings for real stores: a SQLite file and a DynamoDB table."""
    options: dict[str, Any] = {
        "database_url": f"sqlite:///{database}",
        "dynamodb_endpoint": endpoint,
        "details_table": details_table,
        "create_tables": True,
        "cursor_secret": TEST_CURSOR_SECRET,
        "dynamodb_max_attempts": 1,
    }
    return Settings(**options | overrides)


@pytest.fixture
def settings(tmp_path: Path, moto_endpoint: str, details_table: str) -> Settings:
    """A fresh SQLite file and a fresh DynamoDB table (moto) per test."""
    return store_settings(tmp_path / "events.db", moto_endpoint, details_table)


@pytest.fixture
def emulator_settings(tmp_path: Path, emulator_endpoint: str, details_table: str) -> Settings:
    """As `settings`, once against each DynamoDB emulator."""
    return store_settings(tmp_path / "events.db", emulator_endpoint, details_table)


@pytest.fixture
def dynamodb(moto_endpoint: str):  # type: ignore[no-untyped-def]
    """A plain client to inspect what the details table holds."""
    return boto3.client(
        "dynamodb",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections and never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield int(listener.getsockname()[1])


FREETDS_URL = (
    "mssql+pyodbc://eventlog:not-a-secret@127.0.0.1:{port}/eventlog?driver=FreeTDS&TDS_Version=7.4"
)


def pyodbc_connection_string(url: URL) -> str:
    """The ODBC connection string SQLAlchemy hands pyodbc for `url`: what the driver parses."""
    arguments, _ = mssql_pyodbc.dialect().create_connect_args(url)
    return str(arguments[0])


def sql_store(url: str, timeout_seconds: int = 1) -> SqlMetadataStore:
    """The real SQL store on `url`, with every wait bounded by `timeout_seconds`."""
    engine = build_engine(
        url,
        connect_timeout_seconds=timeout_seconds,
        query_timeout_seconds=timeout_seconds,
        pool_size=1,
        pool_timeout_seconds=timeout_seconds,
    )
    return SqlMetadataStore(engine)


@pytest.fixture
def issuer() -> Iterator[LocalIssuer]:
    """A token issuer of the tests' own on 127.0.0.1: RS256 keys made now, its JWKS over HTTP."""
    with LocalIssuer() as running:
        yield running


_HOLD_SQLITE_LOCK = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
if sys.argv[2] == "all":
    connection.execute("PRAGMA locking_mode=EXCLUSIVE")  # in WAL mode, keeps readers out too
connection.execute("BEGIN EXCLUSIVE")
connection.execute("SELECT count(*) FROM sqlite_master").fetchall()
print("locked", flush=True)
sys.stdin.read()
"""


@contextmanager
def sqlite_locked(database: Path, *, readers_too: bool = False) -> Iterator[None]:
    """Another process holds the SQLite file's write lock (and its read lock, `readers_too`,
    which it can take only while no other connection is open) until the block ends."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_SQLITE_LOCK, str(database), "all" if readers_too else "w"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdin is not None and holder.stdout is not None
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
