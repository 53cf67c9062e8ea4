"""Against a real SQL Server and DynamoDB Local (e.g. docker-compose's), only when asked with
EVENTLOG_TEST_MSSQL_URL and EVENTLOG_TEST_DYNAMODB_ENDPOINT (docs/deployment.md: "Live tests")."""

import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.exc import DBAPIError

from gateway.settings import Settings
from gateway.stores import dynamodb_client
from persistence.deadline import deadline_after
from persistence.details import DynamoDetailStore, ensure_details_table
from persistence.metadata import SqlMetadataStore, create_metadata_schema
from persistence.protocols import EventRecord, PageRequest
from persistence.sql_engine import build_engine
from tests.conftest import LIVE_SETTINGS

MSSQL_URL = LIVE_SETTINGS.get("EVENTLOG_TEST_MSSQL_URL")
DYNAMODB_ENDPOINT = LIVE_SETTINGS.get("EVENTLOG_TEST_DYNAMODB_ENDPOINT")


@pytest.mark.skipif(not MSSQL_URL, reason="set EVENTLOG_TEST_MSSQL_URL to test a real SQL Server")
def test_sql_server_migrates_stores_and_pages_with_datetimeoffset() -> None:
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
