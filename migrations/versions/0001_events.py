"""The events table: metadata of every event, clustered by user timeline.

SQL Server first: NVARCHAR text, DATETIMEOFFSET times, the primary key on event_id NONCLUSTERED
and the clustered index on (user_id, occurred_at DESC, event_id), so a user's history is one
contiguous range on disk and inserts of random UUIDs do not split pages. SQLite ignores the
clustering words and gets the same table and index.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

# The instants as this revision made them (DATETIMEOFFSET on SQL Server; 0004 makes them
# DATETIME2(6)), spelled here, not taken from the model, which describes the head.
INSTANT = sa.DateTime(timezone=True)


revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("event_id", sa.Unicode(36), nullable=False),
        sa.Column("user_id", sa.Unicode(128), nullable=False),
        sa.Column("event_type", sa.Unicode(64), nullable=False),
        sa.Column("occurred_at", INSTANT, nullable=False),
        sa.Column("received_at", INSTANT, nullable=False),
        sa.Column("content_hash", sa.Unicode(64), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_events", mssql_clustered=False),
    )
    op.create_index(
        "ix_events_user_timeline",
        "events",
        ["user_id", sa.text("occurred_at DESC"), "event_id"],
        mssql_clustered=True,
    )


def downgrade() -> None:
    op.drop_index("ix_events_user_timeline", table_name="events")
    op.drop_table("events")
