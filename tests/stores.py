"""Helpers for tests of real stores: Settings for a SQLite file and a DynamoDB table, the real
SQL store on a URL, a SQLite file locked by another process, a port nothing listens on."""

import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.dialects.mssql import pyodbc as mssql_pyodbc
from sqlalchemy.engine import URL

from gateway.settings import Settings
from persistence.metadata import SqlMetadataStore
from persistence.sql_engine import build_engine

TEST_CURSOR_SECRET = "test-cursor-secret-of-at-least-32-characters"


# A password with URL delimiters: spliced into a URL, it would move the host.
PASSWORD = "P@ssw0rd#2026"


# The two independent DynamoDB implementations the details store is tested against.
EMULATORS = ("moto", "dynalite")


def unique_table() -> str:
    return f"details-{uuid.uuid4().hex[:10]}"


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


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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
