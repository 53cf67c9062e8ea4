"""An index on `received_at`, for retention: the events received before a cutoff are found by a
seek that reads only them, a bounded chunk at a time, however large the table is. The index
carries the clustered key (user_id, occurred_at, event_id) in its rows on SQL Server, so the
retention job's chunk query reads nothing else.

Creating it reads the whole table once: on a large table, run it in a quiet hour (SQL Server's
Enterprise edition can add `WITH (ONLINE = ON)` to the reviewed T-SQL).

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_index("ix_events_received", "events", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_events_received", table_name="events")
