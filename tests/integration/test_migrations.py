"""Alembic migrations: SQL Server first (checked as offline T-SQL), the same ones on SQLite."""

import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from persistence.metadata import EVENTS_TABLE, create_metadata_schema

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


def test_the_checked_in_tsql_is_what_the_migrations_produce() -> None:
    assert (ROOT / "db" / "schema.sql").read_text() == offline_tsql(), (
        "run `make schema` and commit db/schema.sql"
    )


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
        "CREATE INDEX ix_events_user_timeline ON events (user_id, occurred_at DESC, event_id)"
    ]
