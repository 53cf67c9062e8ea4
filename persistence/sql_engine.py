"""SQLAlchemy engines with bounded waits: a SQL store that is down must answer in seconds.

pyodbc takes its login timeout as the `timeout` connect argument (FreeTDS ignores the URL's
`LoginTimeout`), and its query timeout as the connection attribute `timeout`. SQLite waits for
a busy writer up to its own `timeout`.
"""

from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url


def build_engine(
    url: str | URL,
    *,
    connect_timeout_seconds: int,
    query_timeout_seconds: int,
    pool_size: int,
    pool_timeout_seconds: float,
) -> Engine:
    url = make_url(url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, query_timeout_seconds)
    pyodbc = url.get_driver_name() == "pyodbc"
    engine = create_engine(
        url,
        connect_args={"timeout": connect_timeout_seconds} if pyodbc else {},
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=pool_timeout_seconds,
    )
    if pyodbc:
        _set_query_timeout(engine, query_timeout_seconds)
    return engine


def _sqlite_engine(url: URL, busy_timeout_seconds: int) -> Engine:
    engine = create_engine(
        url, connect_args={"timeout": busy_timeout_seconds, "check_same_thread": False}
    )

    @event.listens_for(engine, "connect")
    def _wal_mode(dbapi_connection: Any, _record: Any) -> None:
        # WAL lets readers run beside the one writer instead of waiting for it.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    return engine


def _set_query_timeout(engine: Engine, seconds: int) -> None:
    @event.listens_for(engine, "connect")
    def _query_timeout(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.timeout = seconds
