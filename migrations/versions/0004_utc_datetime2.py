"""Instants are DATETIME2(6) in UTC on SQL Server, not DATETIMEOFFSET.

The app writes UTC instants with microseconds only, so the offset was always zero. As
DATETIMEOFFSET, SQLAlchemy hands pyodbc each value as a string ('2026-12-07 09:30:00.250000+00:00')
for the ODBC driver to parse, which Microsoft's driver does with fast_executemany (every batch)
only in a format it documents as subject to change. DATETIME2(6) takes naive UTC datetimes, which
pyodbc binds natively. Any row written with another offset (by hand) is first moved to UTC, so
no instant changes. Every index holds an instant (the timeline indexes `occurred_at`, the type
index and 0003's retention index `received_at`): they come off before the columns change and go
back after, in 0002's order (the nonclustered key off before the clustered index, so it is not
rebuilt twice). SQLite stores both as naive UTC text already:
nothing changes there.

Offline on SQL Server: every row is rewritten and every index rebuilt under a schema lock, in one
transaction (README: "Migrations in production").

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mssql

revision = "0004"
down_revision = "0003"

INSTANTS = ("occurred_at", "received_at")


def upgrade() -> None:
    if op.get_context().dialect.name != "mssql":
        return
    _drop_indexes()
    op.execute(
        "UPDATE events SET occurred_at = SWITCHOFFSET(occurred_at, '+00:00'), "
        "received_at = SWITCHOFFSET(received_at, '+00:00') "
        "WHERE DATEPART(TZOFFSET, occurred_at) <> 0 OR DATEPART(TZOFFSET, received_at) <> 0"
    )
    for column in INSTANTS:
        op.alter_column(
            "events",
            column,
            type_=mssql.DATETIME2(precision=6),
            existing_type=mssql.DATETIMEOFFSET(),
            existing_nullable=False,
        )
    _create_indexes()


def downgrade() -> None:
    if op.get_context().dialect.name != "mssql":
        return
    _drop_indexes()
    for column in INSTANTS:
        # A DATETIME2 becomes a DATETIMEOFFSET at +00:00: the instants it held, in UTC.
        op.alter_column(
            "events",
            column,
            type_=mssql.DATETIMEOFFSET(),
            existing_type=mssql.DATETIME2(precision=6),
            existing_nullable=False,
        )
    _create_indexes()


def _drop_indexes() -> None:
    op.drop_index("ix_events_received", table_name="events")
    op.drop_index("ix_events_user_type_timeline", table_name="events")
    op.drop_constraint("pk_events", "events", type_="primary")
    op.drop_index("ix_events_user_timeline", table_name="events")


def _create_indexes() -> None:
    op.create_index(
        "ix_events_user_timeline",
        "events",
        ["user_id", sa.text("occurred_at DESC"), "event_id"],
        unique=True,
        mssql_clustered=True,
    )
    op.execute("ALTER TABLE events ADD CONSTRAINT pk_events PRIMARY KEY NONCLUSTERED (event_id)")
    op.create_index(
        "ix_events_user_type_timeline",
        "events",
        ["user_id", "event_type", sa.text("occurred_at DESC"), "event_id"],
        mssql_include=["received_at", "content_hash"],
    )
    op.create_index("ix_events_received", "events", ["received_at"])
