"""Alembic migrations: SQL Server first (checked as offline T-SQL), the same ones on SQLite."""

import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine

from persistence.metadata import ALEMBIC_INI, EVENTS_TABLE, SqlMetadataStore, create_metadata_schema
from persistence.protocols import PageRequest
from scripts.export_schema import page_query_tsql

ROOT = Path(__file__).resolve().parents[2]


def offline_tsql() -> str:
    alembic = Path(sys.executable).parent / "alembic"
    return subprocess.run(
        [str(alembic), "-x", "url=mssql+pyodbc://", "upgrade", "head", "--sql"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_the_checked_in_tsql_is_what_the_migrations_and_the_page_query_produce() -> None:
    assert (ROOT / "db" / "schema.sql").read_text() == offline_tsql() + page_query_tsql(), (
        "run `make schema` and commit db/schema.sql"
    )
    assert (
        "-- WHERE events.user_id = ? AND events.event_type = ? AND events.occurred_at <= ? AND "
        "(events.occurred_at < ? OR events.occurred_at = ? AND events.event_id > ?) "
        "ORDER BY events.occurred_at DESC, events.event_id ASC"
    ) in page_query_tsql()


def test_the_tsql_script_stops_and_rolls_back_at_the_first_error() -> None:
    """sqlcmd runs on past a failed batch; XACT_ABORT makes any error roll everything back."""
    assert offline_tsql().startswith("SET XACT_ABORT ON;\n\nGO\n\nBEGIN TRANSACTION;\n")


def test_sql_server_keeps_instants_as_utc_datetime2() -> None:
    """0004: every index holds an instant, so they come off first and go back after; a row
    written with another offset (by hand) is moved to UTC before the offset is dropped."""
    tsql = offline_tsql()
    upgrade = [
        " ".join(statement.split())
        for statement in tsql[tsql.index("-- Running upgrade 0003 -> 0004") :].split(";")
        if statement.strip() and "alembic_version" not in statement
    ]
    assert upgrade[:11] == [
        "-- Running upgrade 0003 -> 0004 DROP INDEX ix_events_received ON events",
        "GO DROP INDEX ix_events_user_type_timeline ON events",
        "GO ALTER TABLE events DROP CONSTRAINT pk_events",
        "GO DROP INDEX ix_events_user_timeline ON events",
        "GO UPDATE events SET occurred_at = SWITCHOFFSET(occurred_at, '+00:00'), "
        "received_at = SWITCHOFFSET(received_at, '+00:00') "
        "WHERE DATEPART(TZOFFSET, occurred_at) <> 0 OR DATEPART(TZOFFSET, received_at) <> 0",
        "GO ALTER TABLE events ALTER COLUMN occurred_at DATETIME2(6) NOT NULL",
        "GO ALTER TABLE events ALTER COLUMN received_at DATETIME2(6) NOT NULL",
        "GO CREATE UNIQUE CLUSTERED INDEX ix_events_user_timeline "
        "ON events (user_id, occurred_at DESC, event_id)",
        "GO ALTER TABLE events ADD CONSTRAINT pk_events PRIMARY KEY NONCLUSTERED (event_id)",
        "GO CREATE INDEX ix_events_user_type_timeline ON events "
        "(user_id, event_type, occurred_at DESC, event_id) INCLUDE (received_at, content_hash)",
        "GO CREATE INDEX ix_events_received ON events (received_at)",
    ]


def test_sql_server_gets_a_nonclustered_key_and_the_clustered_timeline() -> None:
    tsql = " ".join(offline_tsql().split())
    assert (
        "CREATE TABLE events ( event_id NVARCHAR(36) NOT NULL, user_id NVARCHAR(128) NOT NULL, "
        "event_type NVARCHAR(64) NOT NULL, occurred_at DATETIMEOFFSET NOT NULL, "
        "received_at DATETIMEOFFSET NOT NULL, content_hash NVARCHAR(64) NOT NULL, "
        "CONSTRAINT pk_events PRIMARY KEY NONCLUSTERED (event_id) );"
    ) in tsql
    assert (
        "CREATE CLUSTERED INDEX ix_events_user_timeline ON events "
        "(user_id, occurred_at DESC, event_id);"
    ) in tsql


def test_the_migrations_build_on_sqlite_exactly_the_table_the_code_uses(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    create_metadata_schema(engine)
    create_metadata_schema(engine)  # at head already: nothing to do, nothing fails
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), EVENTS_TABLE.metadata) == []
        index_sql = (
            connection.execute(
                text("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'")
            )
            .scalars()
            .all()
        )
    assert [" ".join(sql.split()) for sql in index_sql if sql] == [
        "CREATE UNIQUE INDEX ix_events_user_timeline ON events "
        "(user_id, occurred_at DESC, event_id)",
        "CREATE INDEX ix_events_user_type_timeline ON events "
        "(user_id, event_type, occurred_at DESC, event_id)",
        "CREATE INDEX ix_events_received ON events (received_at)",
    ]


def test_sql_server_compares_identifiers_byte_for_byte_and_indexes_the_type_filter() -> None:
    """0002 as T-SQL: the key and the clustered index come off before the collation changes
    (SQL Server refuses to alter a column an index uses) and go back after."""
    tsql = offline_tsql()
    upgrade = [
        " ".join(statement.split())
        for statement in tsql[tsql.index("-- Running upgrade 0001 -> 0002") :].split(";")
        if statement.strip() and "alembic_version" not in statement
    ]
    assert upgrade[:8] == [
        "-- Running upgrade 0001 -> 0002 ALTER TABLE events DROP CONSTRAINT pk_events",
        "GO DROP INDEX ix_events_user_timeline ON events",
        "GO ALTER TABLE events ALTER COLUMN event_id NVARCHAR(36) "
        "COLLATE Latin1_General_100_BIN2 NOT NULL",
        "GO ALTER TABLE events ALTER COLUMN user_id NVARCHAR(128) "
        "COLLATE Latin1_General_100_BIN2 NOT NULL",
        "GO ALTER TABLE events ALTER COLUMN event_type NVARCHAR(64) "
        "COLLATE Latin1_General_100_BIN2 NOT NULL",
        "GO CREATE UNIQUE CLUSTERED INDEX ix_events_user_timeline "
        "ON events (user_id, occurred_at DESC, event_id)",
        "GO ALTER TABLE events ADD CONSTRAINT pk_events PRIMARY KEY NONCLUSTERED (event_id)",
        "GO CREATE INDEX ix_events_user_type_timeline ON events "
        "(user_id, event_type, occurred_at DESC, event_id) INCLUDE (received_at, content_hash)",
    ]


def migrate(engine: Engine, revision: str, *, down: bool = False) -> None:
    config = Config(str(ALEMBIC_INI))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def test_a_database_with_events_upgrades_from_0001_and_back(tmp_path: Path) -> None:
    """The embedded mode and SQLite tests migrate; a database made by 0001 keeps its rows."""
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    migrate(engine, "0001")
    rows = [
        {"id": str(uuid.uuid4()), "user": user, "type": "view", "at": f"2026-11-24 09:0{n}:00"}
        for n, user in enumerate(["user-42", "USER-42", "user-42"])
    ]
    insert = text("INSERT INTO events VALUES (:id, :user, :type, :at, '2026-11-24 10:00:00', 'h')")
    with engine.begin() as connection:
        connection.execute(insert, rows)
    migrate(engine, "head")
    store = SqlMetadataStore(engine)
    assert [r.event_id for r in store.list_page(PageRequest("user-42", 10))] == [
        rows[2]["id"],
        rows[0]["id"],
    ]
    assert [
        r.event_id for r in store.list_page(PageRequest("USER-42", 10, event_types=("view",)))
    ] == [rows[1]["id"]]
    migrate(engine, "0001", down=True)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM events")).scalar() == 3
        indexes = connection.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
        )
        assert indexes.scalars().all() == ["ix_events_user_timeline"]


def test_alembic_online_takes_the_password_as_a_part_of_the_url(monkeypatch: Any) -> None:
    """`alembic upgrade head` with EVENTLOG_DATABASE_PASSWORD, as docs/deployment.md tells
    operators: a password with `@` and `#` reaches the driver whole, and the host stays the host.
    The connection string is read where SQLAlchemy hands it to pyodbc, before any network."""
    seen: list[str] = []

    class Stop(Exception):
        pass

    def capture(_dialect: Any, _record: Any, cargs: Any, _cparams: Any) -> None:
        seen.append(cargs[0])
        raise Stop

    monkeypatch.setenv(
        "EVENTLOG_DATABASE_URL", "mssql+pyodbc://sa@db.internal:1433/eventlog?driver=FreeTDS"
    )
    monkeypatch.setenv("EVENTLOG_DATABASE_PASSWORD", "P@ssw0rd#2026")
    event.listen(Engine, "do_connect", capture)
    try:
        with pytest.raises(Stop):
            command.upgrade(Config(str(ALEMBIC_INI)), "head")
    finally:
        event.remove(Engine, "do_connect", capture)
    assert seen == [
        "DRIVER={FreeTDS};Server=db.internal,1433;Database=eventlog;UID=sa;PWD=P@ssw0rd#2026"
    ]
