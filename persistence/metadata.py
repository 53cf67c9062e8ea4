"""Event metadata in SQL through SQLModel: the table, its index, and the queries the API runs.

The table is the index of the event log: a user's history is one seek on
(user_id, occurred_at DESC, event_id), and a committed row is the moment an event becomes
visible. The same model compiles to NVARCHAR/DATETIMEOFFSET on SQL Server and runs on SQLite.

Identifiers compare byte for byte everywhere: SQL Server's default collations ignore case, so
its text keys carry a binary collation (SQLite's default, BINARY, already is one); otherwise
`USER-42` would list `user-42`'s events.
"""

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
    insert,
    or_,
    select,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, Session, SQLModel

from persistence.deadline import DeadlineExceeded
from persistence.protocols import DuplicateEventId, EventRecord, PageRequest
from schema.errors import StoreUnavailable

logger = logging.getLogger(__name__)

ALEMBIC_INI = Path(__file__).resolve().parents[1] / "alembic.ini"


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes everywhere: DATETIMEOFFSET on SQL Server, naive UTC text on SQLite
    (whose fixed-width text sorts like the instants it holds)."""

    impl = SaDateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

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


# SQL Server takes at most 2,100 parameters a statement: lists of ids go 1,000 at a time.
MAX_IDS_PER_STATEMENT = 1000


class SqlMetadataStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, event_id: str) -> EventRecord | None:
        with self._session() as session:
            row = session.get(EventRow, event_id)
            return None if row is None else _record(row)

    def get_many(self, event_ids: Sequence[str]) -> dict[str, EventRecord]:
        found: dict[str, EventRecord] = {}
        with self._session() as session:
            for chunk in _chunks(event_ids):
                rows = session.scalars(select(EventRow).where(EVENTS_TABLE.c.event_id.in_(chunk)))
                found.update((row.event_id, _record(row)) for row in rows)
        return found

    def insert(self, record: EventRecord) -> None:
        self.insert_many([record])

    def insert_many(self, records: Sequence[EventRecord]) -> None:
        """One INSERT of every row (an executemany: pyodbc's fast_executemany sends them as one
        array) and one COMMIT."""
        with self._transaction("insert") as connection:
            try:
                connection.execute(insert(EVENTS_TABLE), [_values(record) for record in records])
            except IntegrityError as exc:
                raise DuplicateEventId from exc

    def list_page(self, request: PageRequest) -> list[EventRecord]:
        with self._session() as session:
            return [_record(found) for found in session.scalars(page_query(request))]

    def user_event_ids(self, user_id: str, limit: int) -> list[str]:
        row = EVENTS_TABLE.c
        query = (
            select(row.event_id)
            .where(row.user_id == user_id)
            .order_by(row.occurred_at.desc(), row.event_id.asc())
            .limit(limit)
        )
        with self._session() as session:
            return list(session.scalars(query))

    def delete(self, user_id: str, event_ids: Sequence[str]) -> int:
        row = EVENTS_TABLE.c
        deleted = 0
        with self._transaction("delete") as connection:
            for chunk in _chunks(event_ids):
                statement = delete(EVENTS_TABLE).where(
                    row.user_id == user_id, row.event_id.in_(chunk)
                )
                deleted += connection.execute(statement).rowcount
        return deleted

    def existing(self, event_ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        with self._session() as session:
            for chunk in _chunks(event_ids):
                column = EVENTS_TABLE.c.event_id
                found.update(session.scalars(select(column).where(column.in_(chunk))))
        return found

    def event_ids_after(self, after: str | None, limit: int) -> list[str]:
        column = EVENTS_TABLE.c.event_id
        query = select(column).order_by(column).limit(limit)
        if after is not None:
            query = query.where(column > after)
        with self._session() as session:
            return list(session.scalars(query))

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
            raise StoreUnavailable("metadata") from exc

    @contextmanager
    def _transaction(self, what: str) -> Iterator[Connection]:
        """A connection whose statements commit together when the block ends. A failure before
        the COMMIT changed nothing; a COMMIT that fails leaves the outcome unknown (`in_doubt`)."""
        try:
            with self._engine.connect() as connection:
                try:
                    yield connection
                except (DBAPIError, PoolTimeout, DeadlineExceeded) as exc:
                    logger.warning("metadata %s failed before commit", what, exc_info=exc)
                    raise StoreUnavailable("metadata") from exc
                _commit(connection, what)
        except (DBAPIError, PoolTimeout, DeadlineExceeded) as exc:
            # Checking out or closing the connection.
            logger.warning("metadata store unavailable", exc_info=exc)
            raise StoreUnavailable("metadata") from exc


def _commit(connection: Connection, what: str) -> None:
    try:
        connection.commit()
    except IntegrityError as exc:
        raise DuplicateEventId from exc
    except DeadlineExceeded as exc:
        # Raised by our own checks, which run before a statement, never inside COMMIT.
        raise StoreUnavailable("metadata") from exc
    except SQLAlchemyError as exc:
        logger.error("metadata %s commit failed; outcome unknown", what, exc_info=exc)
        raise StoreUnavailable("metadata", in_doubt=True) from exc


def _chunks(event_ids: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(event_ids), MAX_IDS_PER_STATEMENT):
        yield event_ids[start : start + MAX_IDS_PER_STATEMENT]


def page_query(request: PageRequest) -> Select[EventRow]:
    """Keyset, never OFFSET: the page after a cursor is one seek however deep the client is."""
    row = EVENTS_TABLE.c
    conditions = [row.user_id == request.user_id]
    if types := request.event_types:
        # One type stays an equality, which seeks on the (user_id, event_type, ...) index.
        conditions.append(
            row.event_type.in_(types) if len(types) > 1 else row.event_type == types[0]
        )
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
    return (
        select(EventRow)
        .where(*conditions)
        .order_by(row.occurred_at.desc(), row.event_id.asc())
        .limit(request.limit)
    )


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


def _record(row: Any) -> EventRecord:
    return EventRecord(
        event_id=row.event_id,
        user_id=row.user_id,
        event_type=row.event_type,
        timestamp=row.occurred_at,
        received_at=row.received_at,
        content_hash=row.content_hash,
    )
