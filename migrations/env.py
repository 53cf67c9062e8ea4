"""Alembic environment: online against the configured database, offline (`--sql`) as a script."""

import os

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import URL, make_url

from persistence.metadata import EVENTS_TABLE

target_metadata = EVENTS_TABLE.metadata


def database_url() -> URL:
    """The URL, with EVENTLOG_DATABASE_PASSWORD set as a part when given (as the app does)."""
    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ.get(
        "EVENTLOG_DATABASE_URL", ""
    )
    if not url or url == "embedded":
        raise SystemExit("Give the database: EVENTLOG_DATABASE_URL=... or alembic -x url=...")
    password = os.environ.get("EVENTLOG_DATABASE_PASSWORD")
    return make_url(url).set(password=password) if password else make_url(url)


def run_offline() -> None:
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True)
    if context.get_context().dialect.name == "mssql":
        # A script run by sqlcmd goes on past a failed statement, outside the transaction the
        # error ended; with XACT_ABORT any error rolls back every statement and stops the script.
        context.execute("SET XACT_ABORT ON")
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(database_url())
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
