"""SQLAlchemy engines with bounded waits: a SQL store that is down must answer in seconds.

Every wait takes the smaller of its configured bound and what is left of the request's deadline
(`persistence.deadline`), on every engine:

- the wait for a pooled connection: `pool_size` connections, no overflow, `pool_timeout`;
- the login: pyodbc's `timeout` connect argument (FreeTDS ignores the URL's `LoginTimeout`);
- each statement: pyodbc's query timeout (the connection's `timeout`, which pyodbc applies to
  each cursor as it is created), SQLite's busy timeout (how long to wait for another writer).
"""

from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.pool import QueuePool

from persistence.deadline import budget, remaining_seconds, whole_seconds_budget

# The pre-ping of a pooled connection runs before the checkout hooks below can give it the
# request's budget: it gets this bound instead (a healthy server answers `SELECT 1` in ms).
PRE_PING_TIMEOUT_SECONDS = 1


class DeadlineQueuePool(QueuePool):
    """QueuePool whose wait for a free connection also ends at the request's deadline.

    QueuePool reads `_timeout` at each checkout; here it is the configured wait, capped by what
    is left of the deadline (and `DeadlineExceeded` when nothing is).
    """

    @property
    def _timeout(self) -> float:
        return budget(self._configured_timeout)

    @_timeout.setter
    def _timeout(self, seconds: float) -> None:
        self._configured_timeout = seconds


def build_engine(
    url: str | URL,
    *,
    connect_timeout_seconds: int,
    query_timeout_seconds: int,
    pool_size: int,
    pool_timeout_seconds: float,
) -> Engine:
    parsed = make_url(url)
    pool: dict[str, Any] = {
        "poolclass": DeadlineQueuePool,
        "pool_size": pool_size,
        "max_overflow": 0,
        "pool_timeout": pool_timeout_seconds,
    }
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, query_timeout_seconds, pool)
    if parsed.get_driver_name() != "pyodbc":
        return create_engine(parsed, pool_pre_ping=True, **pool)
    # fast_executemany: a batch's rows reach SQL Server as one parameter array, in one round
    # trip, instead of one round trip a row (SQLAlchemy 2.0.9+ uses it for every INSERT of
    # several rows without RETURNING).
    engine = create_engine(parsed, pool_pre_ping=True, fast_executemany=True, **pool)
    _bound_pyodbc_waits(engine, connect_timeout_seconds, query_timeout_seconds)
    return engine


def _sqlite_engine(url: URL, busy_timeout_seconds: int, pool: dict[str, Any]) -> Engine:
    in_memory = url.database in (None, "", ":memory:")
    engine = create_engine(
        url,
        connect_args={"timeout": busy_timeout_seconds, "check_same_thread": False},
        # An in-memory database exists once per connection: SQLAlchemy's own pool keeps one.
        **({} if in_memory else pool),
    )

    @event.listens_for(engine, "do_connect")
    def _open_within_deadline(
        _dialect: Any, _record: Any, _args: Any, params: dict[str, Any]
    ) -> None:
        params["timeout"] = budget(busy_timeout_seconds)

    @event.listens_for(engine, "connect")
    def _wal_mode(dbapi_connection: Any, _record: Any) -> None:
        # WAL lets readers run beside the one writer instead of waiting for it.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "before_cursor_execute")
    def _busy_wait_within_deadline(
        _conn: Any, cursor: Any, _statement: Any, _params: Any, _context: Any, _many: Any
    ) -> None:
        milliseconds = round(budget(busy_timeout_seconds) * 1000)
        cursor.connection.execute(f"PRAGMA busy_timeout = {milliseconds}")

    return engine


def _bound_pyodbc_waits(engine: Engine, connect_timeout: int, query_timeout: int) -> None:
    """pyodbc counts in whole seconds and fixes a cursor's query timeout when the cursor is made,
    which SQLAlchemy does just before each statement: so the connection's timeout is set to the
    budget at checkout and again after each statement, ready for the next cursor."""

    def next_statement_timeout() -> int:
        left = remaining_seconds()
        if left is None:
            return query_timeout
        # Never 0 (no limit); a statement due after the deadline is refused before it starts.
        return whole_seconds_budget(query_timeout) if left > 0 else 1

    @event.listens_for(engine, "do_connect")
    def _login_within_deadline(
        _dialect: Any, _record: Any, _args: Any, params: dict[str, Any]
    ) -> None:
        params["timeout"] = whole_seconds_budget(connect_timeout)

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _bound_the_pre_ping(dbapi_connection: Any, _record: Any) -> None:
        if dbapi_connection is not None:
            dbapi_connection.timeout = PRE_PING_TIMEOUT_SECONDS

    @event.listens_for(engine, "checkout")
    def _bound_the_first_statement(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        dbapi_connection.timeout = next_statement_timeout()

    @event.listens_for(engine, "before_cursor_execute")
    def _refuse_statements_past_the_deadline(*_: Any) -> None:
        budget(query_timeout)

    @event.listens_for(engine, "after_cursor_execute")
    def _bound_the_next_statement(conn: Any, *_: Any) -> None:
        conn.connection.dbapi_connection.timeout = next_statement_timeout()
