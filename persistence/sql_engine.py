"""SQLAlchemy engines with bounded waits: a SQL store that is down must answer in seconds.

Every wait takes the smaller of its configured bound and what is left of the request's deadline
(`persistence.deadline`), on every engine:

- the wait for a pooled connection: `pool_size` connections, no overflow, `pool_timeout`;
- the login: pyodbc's `timeout` connect argument (FreeTDS ignores the URL's `LoginTimeout`);
- each statement: pyodbc's query timeout (the connection's `timeout`, which pyodbc applies to
  each cursor as it is created), SQLite's busy timeout (how long to wait for another writer),
  the dialect's own first queries included (they run before any checkout).

On SQL Server the login is the one `Logins` holds: when SQL Server refuses it (the password
rotated), `Logins` reads it again, once, and the connection is tried again with the new one.
Every string parameter is declared with its column's size, so a statement has one plan
whatever the lengths of the values sent.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import DateTime, String, create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.pool import ConnectionPoolEntry, QueuePool
from sqlalchemy.types import TypeDecorator

from persistence.deadline import budget, remaining_seconds, whole_seconds_budget
from persistence.metric_catalogue import POOL_WAIT_SECONDS, STORE_CALL_SECONDS
from persistence.telemetry import NO_TELEMETRY, Telemetry

logger = logging.getLogger(__name__)

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

    telemetry: Telemetry = NO_TELEMETRY

    def _do_get(self) -> ConnectionPoolEntry:
        """A pooled connection, the wait for it measured (a full pool shows here first)."""
        began = time.perf_counter()
        try:
            return super()._do_get()
        finally:
            self.telemetry.add(POOL_WAIT_SECONDS, time.perf_counter() - began)

    def recreate(self) -> QueuePool:
        """The pool `engine.dispose()` puts in place keeps measuring."""
        pool = super().recreate()
        if isinstance(pool, DeadlineQueuePool):
            pool.telemetry = self.telemetry
        return pool


# A refused login: SQL Server's error 18456, which Microsoft's driver reports as SQLSTATE 28000
# and FreeTDS as 42000, both with the number in the message.
LOGIN_REFUSED_SQLSTATE = "28000"
LOGIN_REFUSED_ERROR = "(18456)"
# A login read again and found unchanged is not read again for this long: a wrong password is
# not a rotation, and every new connection would otherwise ask Secrets Manager once more.
RELOGIN_INTERVAL_SECONDS = 10.0


class Logins:
    """The login new connections use (the URL with its user and password), and how to read it
    again (`reread`, e.g. from Secrets Manager) when SQL Server refuses it. Thread-safe: threads
    refused at once share one read."""

    def __init__(
        self,
        url: URL,
        reread: Callable[[], URL] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = url
        self._reread = reread
        self._clock = clock
        self._lock = threading.Lock()
        self._unchanged_at: float | None = None

    @property
    def current(self) -> URL:
        return self._url

    def renewed(self, refused: URL | None = None) -> URL | None:
        """The login read again, if it differs from `refused` (default: the current one);
        None when there is nothing new (or it cannot be read: logged, never raised)."""
        with self._lock:
            refused = refused or self._url
            if self._url != refused:
                return self._url  # another thread read it meanwhile
            if self._reread is None:
                return None
            if (
                self._unchanged_at is not None
                and self._clock() - self._unchanged_at < RELOGIN_INTERVAL_SECONDS
            ):
                return None
            try:
                fresh = self._reread()
            except Exception as exc:  # any failure to read leaves the refusal as it was
                logger.warning("cannot read the SQL login again: %s", type(exc).__name__)
                return None
            if fresh == refused:
                self._unchanged_at = self._clock()
                logger.warning("the SQL login read again has not changed")
                return None
            logger.warning("the SQL login changed; new connections use the new one")
            self._url, self._unchanged_at = fresh, None
            return fresh


def build_engine(
    url: str | URL,
    *,
    connect_timeout_seconds: int,
    query_timeout_seconds: int,
    pool_size: int,
    pool_timeout_seconds: float,
    logins: Logins | None = None,
    telemetry: Telemetry = NO_TELEMETRY,
) -> Engine:
    engine = _engine(
        make_url(url),
        connect_timeout_seconds=connect_timeout_seconds,
        query_timeout_seconds=query_timeout_seconds,
        pool_size=pool_size,
        pool_timeout_seconds=pool_timeout_seconds,
        logins=logins,
    )
    if telemetry.sink is not None or telemetry.tracer is not None:
        _measure_statements(engine, telemetry)
    if isinstance(engine.pool, DeadlineQueuePool):
        engine.pool.telemetry = telemetry
    return engine


def _engine(
    parsed: URL,
    *,
    connect_timeout_seconds: int,
    query_timeout_seconds: int,
    pool_size: int,
    pool_timeout_seconds: float,
    logins: Logins | None,
) -> Engine:
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
    _connect_with_current_login(engine, logins or Logins(parsed), query_timeout_seconds)
    _fixed_parameter_sizes(engine)
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


def _connect_with_current_login(engine: Engine, logins: Logins, query_timeout: int) -> None:
    """Connect (after the hooks above set the login timeout) with the current login; when SQL
    Server refuses it, once more with the login read again, if that is another. The new
    connection gets a query timeout at once: the dialect's first queries (server version,
    schema, isolation level) run on it before any checkout hook could give it one."""

    def connect(dialect: Any, url: URL, cparams: dict[str, Any]) -> Any:
        args, params = dialect.create_connect_args(url)
        connection = dialect.connect(*args, **{**params, **cparams})
        connection.timeout = whole_seconds_budget(query_timeout)
        return connection

    @event.listens_for(engine, "do_connect")
    def _login(dialect: Any, _record: Any, _args: Any, cparams: dict[str, Any]) -> Any:
        url = logins.current
        try:
            return connect(dialect, url, cparams)
        except dialect.loaded_dbapi.Error as exc:
            if not _login_refused(exc):
                raise
            fresh = logins.renewed(url)
            if fresh is None:
                raise
            cparams["timeout"] = whole_seconds_budget(int(cparams.get("timeout") or 1))
            return connect(dialect, fresh, cparams)


def _login_refused(exc: BaseException) -> bool:
    arguments: tuple[Any, ...] = getattr(exc, "args", ())
    return bool(arguments) and (
        arguments[0] == LOGIN_REFUSED_SQLSTATE or LOGIN_REFUSED_ERROR in str(arguments[-1])
    )


def _fixed_parameter_sizes(engine: Engine) -> None:
    """pyodbc declares a string parameter as nvarchar(length of this value), and SQL Server
    compiles a plan per declaration: `user-7` and `user-42` would each get theirs. Declared
    instead with the column's size (nvarchar(128) for every userId), and instants as
    datetime2(6), a statement has one plan. (fast_executemany batches take the sizes SQL
    Server describes for the columns.)"""

    @event.listens_for(engine, "do_setinputsizes")
    def _declare_by_column(
        inputsizes: dict[Any, Any], _cursor: Any, _statement: Any, _params: Any, _context: Any
    ) -> None:
        dbapi = engine.dialect.loaded_dbapi
        for parameter in inputsizes:
            kind = parameter.type
            if isinstance(kind, TypeDecorator):
                kind = kind.impl_instance
            if isinstance(kind, String):
                inputsizes[parameter] = (dbapi.SQL_WVARCHAR, kind.length or 4000, 0)
            elif isinstance(kind, DateTime):
                inputsizes[parameter] = (dbapi.SQL_TYPE_TIMESTAMP, 26, 6)


_STATEMENT_KINDS = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"})


# The kinds of the statements seen, by their text: the app's statements are parameterised, so
# their texts are few (SQLAlchemy's compiled cache hands the same ones again); bounded all
# the same, past which a text is classified each time.
_KIND_OF: dict[str, str] = {}
_KINDS_KEPT = 1000


def statement_kind(statement: str) -> str:
    """SELECT, INSERT, UPDATE or DELETE (or OTHER): the first word, never the text."""
    kind = _KIND_OF.get(statement)
    if kind is None:
        first = statement.lstrip()[:6].upper()
        kind = first if first in _STATEMENT_KINDS else "OTHER"
        if len(_KIND_OF) < _KINDS_KEPT:
            _KIND_OF[statement] = kind
    return kind


def _measure_statements(engine: Engine, telemetry: Telemetry) -> None:
    """Each statement's time (and span) by its kind. The store counts failures itself, once
    per failed call, where it knows their kind (`persistence.metadata`)."""

    @event.listens_for(engine, "before_cursor_execute")
    def _began(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        kind = statement_kind(statement)
        span = None
        if telemetry.tracer is not None:
            span = telemetry.start_span(f"metadata {kind}", **{"db.operation.name": kind})
        conn.info["eventlog.statement"] = (kind, time.perf_counter(), span)

    @event.listens_for(engine, "after_cursor_execute")
    def _ended(conn: Any, *_: Any) -> None:
        kind, began, span = conn.info.pop("eventlog.statement")
        telemetry.add(STORE_CALL_SECONDS, time.perf_counter() - began, "metadata", kind)
        if span is not None:
            telemetry.end_span(span)

    @event.listens_for(engine, "handle_error")
    def _failed(context: Any) -> None:
        connection = context.connection
        started = None if connection is None else connection.info.pop("eventlog.statement", None)
        if started is not None:
            kind, began, span = started
            telemetry.add(STORE_CALL_SECONDS, time.perf_counter() - began, "metadata", kind)
            telemetry.end_span(span, type(context.original_exception).__name__)
