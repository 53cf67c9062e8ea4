"""Identifiers compare byte for byte; the timeline index is unique; `eventType` has its index.

SQL Server: `user_id`, `event_type` and `event_id` take the binary collation
`Latin1_General_100_BIN2`. The database default (case-insensitive on the compose image and on
RDS) made `GET /events/USER-42` list `user-42`'s events. A column's collation cannot change while
an index or a key uses it, so both are dropped first (the nonclustered key before the clustered
index, so the key is not rebuilt twice) and made again after. SQLite compares text byte for byte
already (its BINARY default) and has no ALTER COLUMN: there only the indexes change.

The clustered timeline index becomes UNIQUE (event_id alone is): SQL Server then needs no hidden
uniquifier, and every other index points at rows by this key. The new index
(user_id, event_type, occurred_at DESC, event_id) INCLUDE (received_at, content_hash) serves a
filtered page with one seek and no lookups.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from persistence.metadata import BINARY_COLLATION

revision = "0002"
down_revision = "0001"

IDENTIFIERS = (("event_id", 36), ("user_id", 128), ("event_type", 64))
TIMELINE = ["user_id", sa.text("occurred_at DESC"), "event_id"]


def upgrade() -> None:
    on_sql_server = op.get_context().dialect.name == "mssql"
    if on_sql_server:
        op.drop_constraint("pk_events", "events", type_="primary")
    op.drop_index("ix_events_user_timeline", table_name="events")
    if on_sql_server:
        _set_collation(BINARY_COLLATION)
    op.create_index(
        "ix_events_user_timeline", "events", TIMELINE, unique=True, mssql_clustered=True
    )
    if on_sql_server:
        _add_nonclustered_key()
    op.create_index(
        "ix_events_user_type_timeline",
        "events",
        ["user_id", "event_type", sa.text("occurred_at DESC"), "event_id"],
        mssql_include=["received_at", "content_hash"],
    )


def downgrade() -> None:
    on_sql_server = op.get_context().dialect.name == "mssql"
    op.drop_index("ix_events_user_type_timeline", table_name="events")
    if on_sql_server:
        op.drop_constraint("pk_events", "events", type_="primary")
    op.drop_index("ix_events_user_timeline", table_name="events")
    if on_sql_server:
        _set_collation(None)
    op.create_index("ix_events_user_timeline", "events", TIMELINE, mssql_clustered=True)
    if on_sql_server:
        _add_nonclustered_key()


def _set_collation(collation: str | None) -> None:
    """None: back to the database's default collation, as 0001 created the columns."""
    for column, length in IDENTIFIERS:
        op.alter_column(
            "events",
            column,
            type_=sa.Unicode(length, collation=collation),
            existing_type=sa.Unicode(length),
            existing_nullable=False,
        )


def _add_nonclustered_key() -> None:
    # Alembic's create_primary_key takes no dialect options; the key stays NONCLUSTERED, as in 0001.
    op.execute("ALTER TABLE events ADD CONSTRAINT pk_events PRIMARY KEY NONCLUSTERED (event_id)")
