"""Event metadata in SQL through SQLModel: the table, its index, and the queries the API runs.

The table is the index of the event log: a user's history is one seek on
(user_id, occurred_at DESC, event_id), and a committed row is the moment an event becomes
visible. The same model compiles to NVARCHAR/DATETIME2 on SQL Server and runs on SQLite.

Identifiers compare byte for byte everywhere: SQL Server's default collations ignore case, so
its text keys carry a binary collation (SQLite's default, BINARY, already is one); otherwise
`USER-42` would list `user-42`'s events.

Erasure gives a row two more states, in the same columns (no schema change, no predicate added
to any read): a row being erased belongs to its user's pseudonym (`erasing_owner`), a fence to
`FENCE_OWNER`; neither keeps the event's type, time or content hash, and their `content_hash`
holds the nonce of the erasure call that marked or fenced them. Both owners sort before every
userId (`#` and `!` are below every character a userId may hold), so no user's listing ever
reaches them, a user's rows being erased come first in that user's erasure query, and the
reconcile job seeks each kind on the clustered index.
"""

import hashlib
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import DateTime as SaDateTime
from sqlalchemy import (
    Dialect,
    Index,
    PrimaryKeyConstraint,
    Select,
    Table,
    Unicode,
    and_,
    delete,
    func,
    insert,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import mssql
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import aliased
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, Session, SQLModel

from persistence.deadline import DeadlineExceeded
from persistence.metric_catalogue import STORE_FAILURES
from persistence.protocols import (
    DuplicateEventId,
    Erasing,
    ErasureMark,
    EventRecord,
    Fence,
    PageRequest,
    StoredRow,
)
from persistence.telemetry import NO_TELEMETRY, Telemetry
from schema.errors import StoreUnavailable

logger = logging.getLogger(__name__)
T = TypeVar("T")

ALEMBIC_INI = Path(__file__).resolve().parents[1] / "alembic.ini"


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in the code, naive UTC in the database: DATETIME2(6) on SQL Server
    (the app writes microseconds, and pyodbc binds a naive datetime natively, where an aware
    one would reach the driver as text to parse), fixed-width text on SQLite (which sorts like
    the instants it holds)."""

    impl = SaDateTime()
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "mssql":
            return dialect.type_descriptor(mssql.DATETIME2(precision=6))  # type: ignore[no-untyped-call]
        return dialect.type_descriptor(SaDateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# SQL Server's binary collation for identifiers (code-point order, case- and accent-sensitive).
BINARY_COLLATION = "Latin1_General_100_BIN2"


def identifier(length: int) -> Unicode:
    """NVARCHAR(length) compared byte for byte on SQL Server; plain text on SQLite, whose
    BINARY default already does (and which knows no SQL Server collation names)."""
    return Unicode(length).with_variant(Unicode(length, collation=BINARY_COLLATION), "mssql")


class EventRow(SQLModel, table=True):
    __tablename__ = "events"
    # Clustered by the timeline index below (SQL Server), not by random UUIDs.
    __table_args__ = (PrimaryKeyConstraint("event_id", name="pk_events", mssql_clustered=False),)

    event_id: str = Field(sa_type=identifier(36), primary_key=True)
    user_id: str = Field(sa_type=identifier(128), nullable=False)
    event_type: str = Field(sa_type=identifier(64), nullable=False)
    occurred_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    received_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    content_hash: str = Field(sa_type=Unicode(64), nullable=False)


EVENTS_TABLE: Table = EventRow.__table__  # type: ignore[attr-defined]
# The table itself on SQL Server (clustered), unique because event_id alone is.
USER_TIMELINE_INDEX = Index(
    "ix_events_user_timeline",
    EVENTS_TABLE.c.user_id,
    EVENTS_TABLE.c.occurred_at.desc(),
    EVENTS_TABLE.c.event_id,
    unique=True,
    mssql_clustered=True,
)
# `eventType=` listings: a seek on (user, type) in page order, covering every column a page
# reads, so a rare type is not found by walking the user's whole timeline.
USER_TYPE_TIMELINE_INDEX = Index(
    "ix_events_user_type_timeline",
    EVENTS_TABLE.c.user_id,
    EVENTS_TABLE.c.event_type,
    EVENTS_TABLE.c.occurred_at.desc(),
    EVENTS_TABLE.c.event_id,
    mssql_include=["received_at", "content_hash"],
)

# Retention: the events received before a cutoff, oldest first, one seek (migration 0004).
RECEIVED_INDEX = Index("ix_events_received", EVENTS_TABLE.c.received_at)


# SQL Server takes at most 2,100 parameters a statement: lists of ids go 1,000 at a time, and
# fences (two parameters each) 500 at a time.
MAX_IDS_PER_STATEMENT = 1000
MAX_FENCES_PER_STATEMENT = 500
# The owner of every fence, and the first character of every row being erased: neither is a
# character a userId may hold (schema.limits.USER_ID_PATTERN), and both sort before all of them.
FENCE_OWNER = "!"
ERASING_PREFIX = "#"
_AFTER_ERASING = chr(ord(ERASING_PREFIX) + 1)
# Fences an erasure call purges in passing (the reconcile job purges the rest).
PURGE_PER_ERASURE = 1000


def erasing_owner(user_id: str) -> str:
    """Whose a row being erased is: a pseudonym of its user (SHA-256, 65 characters: a userId
    with a prefix could exceed the column's 128), by which that user's next erasure call finds
    it."""
    return ERASING_PREFIX + hashlib.sha256(user_id.encode()).hexdigest()


class SqlMetadataStore:
    def __init__(self, engine: Engine, telemetry: Telemetry = NO_TELEMETRY) -> None:
        """`telemetry`: where failures and COMMITs are counted (the engine built with the same
        one times each statement)."""
        self._engine = engine
        self._telemetry = telemetry

    def get(self, event_id: str) -> EventRecord | None:
        with self._session() as session:
            row = session.get(EventRow, event_id)
            found = None if row is None else _stored(row)
            return found if isinstance(found, EventRecord) else None

    def get_many(self, event_ids: Sequence[str]) -> dict[str, StoredRow]:
        found: dict[str, StoredRow] = {}
        with self._session() as session:
            for chunk in _chunks(event_ids):
                rows = session.scalars(
                    select(EventRow).where(EVENTS_TABLE.c.event_id.in_(_padded(chunk, "")))
                )
                found.update((row.event_id, _stored(row)) for row in rows)
        return found

    def insert(self, record: EventRecord) -> None:
        self.insert_many([record])

    def insert_many(
        self, records: Sequence[EventRecord], *, replacing: Sequence[Fence] = ()
    ) -> None:
        """One INSERT of every row (an executemany: pyodbc's fast_executemany sends them as one
        array) and one COMMIT; before it, one DELETE of the fences it replaces, if any.

        Rows and fences go in eventId order: two batches sharing eventIds then take their key
        locks in the same order, and one waits for the other instead of both deadlocking."""
        rows = [_values(record) for record in sorted(records, key=lambda one: one.event_id)]
        fences = sorted(replacing, key=lambda one: one.event_id)

        def write(connection: Connection) -> None:
            if fences and _delete_fences(connection, fences) != len(fences):
                raise DuplicateEventId
            try:
                connection.execute(insert(EVENTS_TABLE), rows)
            except IntegrityError as exc:
                raise DuplicateEventId from exc

        self._run_transaction("insert", write)

    def list_page(self, request: PageRequest) -> list[EventRecord]:
        with self._session() as session:
            return [_record(found) for found in session.scalars(page_query(request))]

    def user_event_ids(
        self, user_id: str, limit: int, *, among: Sequence[str] | None = None
    ) -> list[str]:
        row = EVENTS_TABLE.c
        # The pseudonym sorts first: the clustered index's order, with no sort.
        query = select(row.event_id).where(row.user_id.in_([erasing_owner(user_id), user_id]))
        if among is not None:
            query = query.where(row.event_id.in_(_padded(among[:MAX_IDS_PER_STATEMENT], "")))
        query = query.order_by(row.user_id, row.occurred_at.desc(), row.event_id).limit(limit)
        with self._session() as session:
            return list(session.scalars(query))

    def mark_erasing(self, user_id: str, event_ids: Sequence[str], *, at: datetime) -> ErasureMark:
        owner = erasing_owner(user_id)
        return self._mark([user_id, owner], owner, event_ids, at)

    def take_over(self, owner: str, event_ids: Sequence[str], *, at: datetime) -> ErasureMark:
        return self._mark([owner], owner, event_ids, at)

    def _mark(
        self, owners: list[str], owner: str, event_ids: Sequence[str], at: datetime
    ) -> ErasureMark:
        """One UPDATE (per 1,000 ids) that says which rows it marked, and one COMMIT."""
        row = EVENTS_TABLE.c
        nonce = os.urandom(16).hex()

        def mark(connection: Connection) -> list[str]:
            marked: list[str] = []
            for chunk in _chunks(event_ids):
                statement = (
                    update(EVENTS_TABLE)
                    .where(row.user_id.in_(owners), row.event_id.in_(_padded(chunk, "")))
                    .values(
                        user_id=owner,
                        event_type="",
                        content_hash=nonce,
                        occurred_at=at,
                        received_at=at,
                    )
                    .returning(row.event_id)
                )
                marked += connection.execute(statement).scalars()
            return marked

        return ErasureMark(owner, nonce, tuple(self._run_transaction("mark", mark)))

    def still_marked(self, mark: ErasureMark, event_ids: Sequence[str]) -> set[str]:
        row = EVENTS_TABLE.c
        found: set[str] = set()
        with self._session() as session:
            for chunk in _chunks(event_ids):
                query = select(row.event_id).where(
                    row.user_id == mark.owner,
                    row.content_hash == mark.nonce,
                    row.event_id.in_(_padded(chunk, "")),
                )
                found.update(session.scalars(query))
        return found

    def fence(
        self,
        mark: ErasureMark,
        event_ids: Sequence[str],
        *,
        at: datetime,
        purge_before: datetime,
    ) -> int:
        row = EVENTS_TABLE.c

        def fence(connection: Connection) -> int:
            fenced = 0
            for chunk in _chunks(event_ids):
                statement = (
                    update(EVENTS_TABLE)
                    .where(
                        row.user_id == mark.owner,
                        row.content_hash == mark.nonce,
                        row.event_id.in_(_padded(chunk, "")),
                    )
                    .values(user_id=FENCE_OWNER, occurred_at=at, received_at=at)
                )
                fenced += connection.execute(statement).rowcount
            _purge_fences(connection, purge_before, PURGE_PER_ERASURE)
            return fenced

        return self._run_transaction("fence", fence)

    def abandoned_erasures(self, before: datetime, limit: int) -> list[Erasing]:
        row = EVENTS_TABLE.c
        query = (
            select(row.event_id, row.user_id, row.content_hash)
            .where(
                row.user_id >= ERASING_PREFIX,
                row.user_id < _AFTER_ERASING,
                row.occurred_at < before,
            )
            .limit(limit)
        )
        with self._session() as session:
            return [Erasing(*found) for found in session.execute(query)]

    def erasures_pending(self) -> int:
        """A count over the seek of the rows being erased (their owners sort together)."""
        row = EVENTS_TABLE.c
        query = (
            select(func.count())
            .select_from(EVENTS_TABLE)
            .where(row.user_id >= ERASING_PREFIX, row.user_id < _AFTER_ERASING)
        )
        with self._session() as session:
            return int(session.execute(query).scalar_one())

    def purge_fences(self, before: datetime, limit: int) -> int:
        return self._run_transaction(
            "purge", lambda connection: _purge_fences(connection, before, limit)
        )

    def event_ids_after(self, after: str | None, limit: int) -> list[str]:
        column = EVENTS_TABLE.c.event_id
        query = select(column).where(_events_only()).order_by(column).limit(limit)
        if after is not None:
            query = query.where(column > after)
        with self._session() as session:
            return list(session.scalars(query))

    def received_before(self, before: datetime, limit: int) -> list[tuple[str, str]]:
        """Up to `limit` events received before `before`, oldest first: (userId, eventId)."""
        row = EVENTS_TABLE.c
        query = (
            select(row.user_id, row.event_id)
            .where(row.received_at < before, _events_only())
            .order_by(row.received_at)
            .limit(limit)
        )
        with self._session() as session:
            return [(user_id, event_id) for user_id, event_id in session.execute(query)]

    def ping(self) -> None:
        with self._session() as session:
            session.connection().exec_driver_sql("SELECT 1")

    @contextmanager
    def _session(self) -> Iterator[Session]:
        try:
            with Session(self._engine) as session:
                yield session
        except (DBAPIError, PoolTimeout, DeadlineExceeded) as exc:
            logger.warning("metadata store unavailable", exc_info=exc)
            self._failed(exc)
            raise StoreUnavailable("metadata") from exc

    def _failed(self, exc: Exception) -> None:
        self._telemetry.add(STORE_FAILURES, 1, "metadata", failure_kind(exc))

    def _run_transaction(self, what: str, work: Callable[[Connection], T]) -> T:
        """`work`'s statements, committed together. A failure before the COMMIT changed nothing:
        a deadlock (this transaction its victim) or a lost connection is retried once, on a
        connection of its own, within the request's deadline; any other is StoreUnavailable. A
        COMMIT that fails leaves the outcome unknown (`in_doubt`), and is never retried."""
        for attempt in range(2):
            try:
                with self._engine.connect() as connection:
                    try:
                        result = work(connection)
                    except (DBAPIError, PoolTimeout, DeadlineExceeded) as exc:
                        if attempt == 0 and _rolled_back_by_the_server(exc):
                            logger.warning("metadata %s rolled back; retrying once", what)
                            continue
                        logger.warning("metadata %s failed before commit", what, exc_info=exc)
                        self._failed(exc)
                        raise StoreUnavailable("metadata") from exc
                    _commit(connection, what, self._telemetry)
                    return result
            except (DBAPIError, PoolTimeout, DeadlineExceeded) as exc:
                # Checking out or closing the connection.
                logger.warning("metadata store unavailable", exc_info=exc)
                self._failed(exc)
                raise StoreUnavailable("metadata") from exc
        raise AssertionError("unreachable: the second attempt returns or raises")


# SQL Server's deadlock victim: SQLSTATE 40001 (serialization failure), native error 1205.
DEADLOCK_SQLSTATE = "40001"


def _rolled_back_by_the_server(exc: Exception) -> bool:
    """A deadlock victim, or a connection lost: either way the server rolled the transaction
    back, so running it again cannot apply it twice."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    arguments: tuple[Any, ...] = getattr(exc.orig, "args", ())
    return bool(arguments) and arguments[0] == DEADLOCK_SQLSTATE


def failure_kind(exc: Exception) -> str:
    """What kind of failure a SQL error is: a wait that ran out (the pool, the deadline, a
    query or login timeout: ODBC's SQLSTATE HYT00/HYT01), no connection (SQLSTATE class 08),
    or an error on the server's side."""
    if isinstance(exc, PoolTimeout | DeadlineExceeded):
        return "timeout"
    text = str(getattr(exc, "orig", exc))
    if "HYT00" in text or "HYT01" in text or "timeout" in text.lower():
        return "timeout"
    if "(08" in text or "'08" in text or "unable to open" in text.lower():
        return "refused"
    return "error"


def _commit(connection: Connection, what: str, telemetry: Telemetry) -> None:
    try:
        with telemetry.store_call("metadata", "COMMIT"):
            connection.commit()
    except IntegrityError as exc:
        raise DuplicateEventId from exc
    except DeadlineExceeded as exc:
        # Raised by our own checks, which run before a statement, never inside COMMIT.
        telemetry.add(STORE_FAILURES, 1, "metadata", "timeout")
        raise StoreUnavailable("metadata") from exc
    except SQLAlchemyError as exc:
        logger.error("metadata %s commit failed; outcome unknown", what, exc_info=exc)
        telemetry.add(STORE_FAILURES, 1, "metadata", "in_doubt")
        raise StoreUnavailable("metadata", in_doubt=True) from exc


def _chunks(items: Sequence[T], size: int = MAX_IDS_PER_STATEMENT) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _padded(items: Sequence[T], filler: T) -> list[T]:
    """`items` and copies of `filler` (a value no row holds), to the next power of two: each IN
    list then has one of 11 shapes (1 to 1,024 parameters), so SQL Server keeps a few plans
    instead of one for every length a caller happens to send."""
    size = 1
    while size < len(items):
        size *= 2
    return [*items, *[filler] * (size - len(items))]


def _delete_fences(connection: Connection, fences: Sequence[Fence]) -> int:
    """Delete exactly these fences (eventId and nonce); how many were there."""
    row = EVENTS_TABLE.c
    deleted = 0
    for chunk in _chunks(fences, MAX_FENCES_PER_STATEMENT):
        exactly = or_(
            *(
                and_(row.event_id == one.event_id, row.content_hash == one.nonce)
                for one in _padded(chunk, Fence("", ""))
            )
        )
        statement = delete(EVENTS_TABLE).where(row.user_id == FENCE_OWNER, exactly)
        deleted += connection.execute(statement).rowcount
    return deleted


def _purge_fences(connection: Connection, before: datetime, limit: int) -> int:
    """Delete up to `limit` fences made before `before`: a seek on the clustered index."""
    row = EVENTS_TABLE.c
    old = (
        select(row.event_id)
        .where(row.user_id == FENCE_OWNER, row.occurred_at < before)
        .limit(limit)
        .scalar_subquery()
    )
    return connection.execute(delete(EVENTS_TABLE).where(row.event_id.in_(old))).rowcount


def _events_only() -> Any:
    """Rows that are events: not fences, not being erased."""
    row = EVENTS_TABLE.c
    return and_(
        row.user_id != FENCE_OWNER,
        or_(row.user_id < ERASING_PREFIX, row.user_id >= _AFTER_ERASING),
    )


def page_query(request: PageRequest) -> Select[Any]:
    """Keyset, never OFFSET: the page after a cursor is one seek however deep the client is.

    Several types are one ordered seek each on the (user_id, event_type, occurred_at DESC,
    event_id) index, each stopping after a page (`TOP (n)`), merged, and the first page of the
    merge kept: at most n rows a type are read and sorted. `event_type IN (...)` would read and
    sort every matching row of the user, as the index is in time order per type, not across
    types. The types are padded with "" (no user's event has it) to a power of two, so the
    statement has one of four shapes (2, 4, 8 or 16 seeks), not one per count of types."""
    types = list(dict.fromkeys(request.event_types))
    if len(types) <= 1:
        return (
            select(EventRow)
            .where(*_page_conditions(request, types[:1]))
            .order_by(*_page_order(EVENTS_TABLE))
            .limit(request.limit)
        )
    seeks = [
        select(
            select(EVENTS_TABLE)
            .where(*_page_conditions(request, [event_type]))
            .order_by(*_page_order(EVENTS_TABLE))
            .limit(request.limit)
            .subquery(f"seek{number}")
        )
        for number, event_type in enumerate(_padded(types, ""), start=1)
    ]
    merged = union_all(*seeks).subquery("merged")
    return select(aliased(EventRow, merged)).order_by(*_page_order(merged)).limit(request.limit)


def _page_order(source: Any) -> list[Any]:
    return [source.c.occurred_at.desc(), source.c.event_id.asc()]


def _page_conditions(request: PageRequest, types: list[str]) -> list[Any]:
    row = EVENTS_TABLE.c
    conditions = [row.user_id == request.user_id]
    if types:
        # An equality, which seeks on the (user_id, event_type, ...) index.
        conditions.append(row.event_type == types[0])
    if request.start is not None:
        conditions.append(row.occurred_at >= request.start)
    if request.end is not None:
        conditions.append(row.occurred_at < request.end)
    if request.after is not None:
        # The first bound is implied by the second, and is there for the planner: it makes the
        # range sargable, so the engine seeks to the cursor instead of re-reading every newer row.
        conditions.append(row.occurred_at <= request.after.timestamp)
        conditions.append(
            or_(
                row.occurred_at < request.after.timestamp,
                and_(
                    row.occurred_at == request.after.timestamp,
                    row.event_id > request.after.event_id,
                ),
            )
        )
    return conditions


def create_metadata_schema(engine: Engine) -> None:
    """Local modes: run the Alembic migrations (the same ones a DBA runs on SQL Server).

    Alembic is imported here, not at the top: Lambda never migrates and skips its import cost.
    """
    from alembic import command
    from alembic.config import Config

    config = Config(str(ALEMBIC_INI))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _values(record: EventRecord) -> dict[str, Any]:
    return {
        "event_id": record.event_id,
        "user_id": record.user_id,
        "event_type": record.event_type,
        "occurred_at": record.timestamp,
        "received_at": record.received_at,
        "content_hash": record.content_hash,
    }


def _stored(row: Any) -> StoredRow:
    if row.user_id == FENCE_OWNER:
        return Fence(row.event_id, row.content_hash)
    if row.user_id.startswith(ERASING_PREFIX):
        return Erasing(row.event_id, row.user_id, row.content_hash)
    return _record(row)


def _record(row: Any) -> EventRecord:
    return EventRecord(
        event_id=row.event_id,
        user_id=row.user_id,
        event_type=row.event_type,
        timestamp=row.occurred_at,
        received_at=row.received_at,
        content_hash=row.content_hash,
    )
