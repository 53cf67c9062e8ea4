"""Against a real SQL Server and DynamoDB Local (e.g. docker-compose's), only when asked with
EVENTLOG_TEST_MSSQL_URL and EVENTLOG_TEST_DYNAMODB_ENDPOINT (docs/deployment.md: "Live tests")."""

import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from gateway.settings import Settings
from gateway.stores import dynamodb_client
from persistence.deadline import deadline_after
from persistence.details import DynamoDetailStore, ensure_details_table
from persistence.metadata import SqlMetadataStore, create_metadata_schema
from persistence.protocols import EventRecord, PageRequest
from persistence.sql_engine import Logins, build_engine
from tests.conftest import LIVE_SETTINGS

MSSQL_URL = LIVE_SETTINGS.get("EVENTLOG_TEST_MSSQL_URL")
DYNAMODB_ENDPOINT = LIVE_SETTINGS.get("EVENTLOG_TEST_DYNAMODB_ENDPOINT")


@pytest.mark.skipif(not MSSQL_URL, reason="set EVENTLOG_TEST_MSSQL_URL to test a real SQL Server")
def test_sql_server_migrates_stores_and_pages_with_datetime2() -> None:
    assert MSSQL_URL
    engine = build_engine(
        MSSQL_URL,
        connect_timeout_seconds=10,
        query_timeout_seconds=10,
        pool_size=2,
        pool_timeout_seconds=10,
    )
    create_metadata_schema(engine)
    store = SqlMetadataStore(engine)
    user = f"live-{uuid.uuid4().hex[:8]}"
    at = datetime(2026, 11, 24, 12, 0, 0, 123456, tzinfo=UTC)
    rows = [
        EventRecord(str(uuid.uuid4()), user, "view", at - timedelta(seconds=i % 2), at, "h" * 64)
        for i in range(5)
    ]
    for row in rows:
        store.insert(row)
    expected = sorted(rows, key=lambda r: (-r.timestamp.timestamp(), r.event_id))
    assert store.list_page(PageRequest(user, 10)) == expected
    assert store.get(rows[0].event_id) == rows[0]
    # The binary collation: the same name in capitals is another user, another type.
    shouting = EventRecord(str(uuid.uuid4()), user.upper(), "VIEW", at, at, "h" * 64)
    store.insert(shouting)
    assert store.list_page(PageRequest(user.upper(), 10)) == [shouting]
    assert store.list_page(PageRequest(user, 10, event_types=("VIEW",))) == []


@pytest.mark.skipif(not MSSQL_URL, reason="set EVENTLOG_TEST_MSSQL_URL to test a real SQL Server")
def test_sql_server_statements_end_at_the_request_deadline() -> None:
    """pyodbc's query timeout, set from the deadline before each statement (whole seconds)."""
    assert MSSQL_URL
    engine = build_engine(
        MSSQL_URL,
        connect_timeout_seconds=10,
        query_timeout_seconds=60,
        pool_size=1,
        pool_timeout_seconds=10,
    )
    with engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")  # logged in: only the statement is timed below
        began = time.monotonic()
        with deadline_after(2), pytest.raises(DBAPIError):
            connection.exec_driver_sql("WAITFOR DELAY '00:00:20'")
    assert time.monotonic() - began < 2 + 1.5


@pytest.mark.skipif(
    not DYNAMODB_ENDPOINT, reason="set EVENTLOG_TEST_DYNAMODB_ENDPOINT to test DynamoDB Local"
)
def test_dynamodb_local_claims_reads_and_releases_details() -> None:
    assert DYNAMODB_ENDPOINT
    settings = Settings(
        database_url="sqlite://", dynamodb_endpoint=DYNAMODB_ENDPOINT, cursor_secret="x" * 32
    )
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    client = dynamodb_client(settings, DYNAMODB_ENDPOINT)
    table = f"live-{uuid.uuid4().hex[:8]}"
    ensure_details_table(client, table)
    store = DynamoDetailStore(table, client)
    event_id = str(uuid.uuid4())
    details = {"n": Decimal("12345678901234567890123456789012345678"), "s": "żółw"}
    store.claim(event_id, "u", details, "h", "w1")
    assert store.get_many([event_id]) == {event_id: details}
    store.release(event_id, "w1")
    assert store.get_many([event_id]) == {}
    client.delete_table(TableName=table)


@pytest.mark.skipif(not MSSQL_URL, reason="set EVENTLOG_TEST_MSSQL_URL to test a real SQL Server")
def test_sql_server_stores_a_batch_of_several_rows_through_fast_executemany() -> None:
    """Every `POST /events/batch` with two or more new events: one executemany, which
    fast_executemany sends as one parameter array, instants as DATETIME2(6) with microseconds."""
    assert MSSQL_URL
    engine = build_engine(
        MSSQL_URL,
        connect_timeout_seconds=10,
        query_timeout_seconds=10,
        pool_size=1,
        pool_timeout_seconds=10,
    )
    create_metadata_schema(engine)
    store = SqlMetadataStore(engine)
    user = f"live-{uuid.uuid4().hex[:8]}"
    at = datetime(2026, 12, 7, 9, 30, 0, 250001, tzinfo=UTC)
    rows = [
        EventRecord(
            str(uuid.uuid4()),
            user,
            ("view", "click", "buy")[n % 3],
            at - timedelta(microseconds=n),
            at + timedelta(seconds=n),
            "h" * 64,
        )
        for n in range(7)
    ]
    store.insert_many(rows)
    expected = sorted(rows, key=lambda r: (-r.timestamp.timestamp(), r.event_id))
    assert store.list_page(PageRequest(user, 10)) == expected
    assert store.list_page(PageRequest(user, 10, event_types=("view", "buy"))) == [
        row for row in expected if row.event_type in ("view", "buy")
    ]
    assert store.get_many([row.event_id for row in rows]) == {row.event_id: row for row in rows}


@pytest.mark.skipif(
    not (MSSQL_URL and LIVE_SETTINGS.get("EVENTLOG_TEST_MSSQL_ADMIN_URL")),
    reason="set EVENTLOG_TEST_MSSQL_URL and EVENTLOG_TEST_MSSQL_ADMIN_URL to test a rotation",
)
def test_sql_server_rotation_reads_the_login_again_and_goes_on() -> None:
    """A login made for the test, its password changed under an open store (as a rotation
    does): the pooled connection goes on; a new one is refused (18456), the login is read
    again, and the store connects with the new password."""
    assert MSSQL_URL
    admin = build_engine(
        LIVE_SETTINGS["EVENTLOG_TEST_MSSQL_ADMIN_URL"],
        connect_timeout_seconds=10,
        query_timeout_seconds=10,
        pool_size=1,
        pool_timeout_seconds=10,
    )
    name = f"rotation_{uuid.uuid4().hex[:8]}"
    old, new = f"Old-{uuid.uuid4().hex}!", f"New-{uuid.uuid4().hex}!"
    with admin.connect() as connection:
        # Names and passwords made here of hex digits; DDL takes no parameters.
        connection.exec_driver_sql(f"CREATE LOGIN {name} WITH PASSWORD = '{old}'")
        connection.exec_driver_sql(f"CREATE USER {name} FOR LOGIN {name}")
        connection.commit()
    try:
        secret = {"password": old}
        url = make_url(MSSQL_URL).set(username=name, password=old)
        logins = Logins(url, lambda: url.set(password=secret["password"]))
        engine = build_engine(
            url,
            connect_timeout_seconds=10,
            query_timeout_seconds=10,
            pool_size=1,
            pool_timeout_seconds=10,
            logins=logins,
        )
        store = SqlMetadataStore(engine)
        store.ping()
        with admin.connect() as connection:
            connection.exec_driver_sql(f"ALTER LOGIN {name} WITH PASSWORD = '{new}'")
            connection.commit()
        secret["password"] = new
        store.ping()  # the pooled session outlives the password change
        engine.dispose()
        store.ping()  # a new login: refused with the old password, then the new one
        assert logins.current.password == new
        engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP USER {name}")
            connection.exec_driver_sql(f"DROP LOGIN {name}")
            connection.commit()
