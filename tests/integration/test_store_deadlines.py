"""Every wait of a store call ends by the request's deadline, whatever its own configured bound:
the SQL pool wait, the SQLite busy wait, the SQL Server login (FreeTDS at a silent port), each
DynamoDB attempt (botocore at a silent port) and the sleeps between attempts.

The bounds asserted are correctness bounds (the deadline plus a margin for rounding and
scheduling on a busy machine), not performance figures.
"""

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from gateway.settings import Settings
from gateway.stores import dynamodb_client
from persistence.deadline import deadline_after
from persistence.details import DynamoDetailStore
from persistence.metadata import SqlMetadataStore
from persistence.protocols import EventRecord
from persistence.sql_engine import build_engine
from schema.errors import StoreUnavailable
from tests.integration.scripted import THROTTLED
from tests.stores import FREETDS_URL, sql_store, sqlite_locked

DEADLINE_SECONDS = 1.0
MARGIN_SECONDS = 1.5


def unavailable_within_the_deadline(call: Callable[[], object], store: str) -> float:
    began = time.monotonic()
    with deadline_after(DEADLINE_SECONDS), pytest.raises(StoreUnavailable) as failure:
        call()
    took = time.monotonic() - began
    assert failure.value.store == store
    assert took < DEADLINE_SECONDS + MARGIN_SECONDS, took
    return took


def a_record() -> EventRecord:
    import uuid
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    return EventRecord(str(uuid.uuid4()), "u", "click", now, now, "h" * 64)


def patient_engine(url: str) -> Engine:
    """Configured to wait far longer than the deadline at every step."""
    return build_engine(
        url,
        connect_timeout_seconds=30,
        query_timeout_seconds=30,
        pool_size=1,
        pool_timeout_seconds=30,
    )


def test_the_wait_for_a_pooled_connection_ends_at_the_deadline(
    metadata_store: SqlMetadataStore, settings: Settings
) -> None:
    engine = patient_engine(settings.database_url)
    store = SqlMetadataStore(engine)
    with engine.connect():  # the pool's only connection, held
        unavailable_within_the_deadline(lambda: store.get("x"), "metadata")


@pytest.mark.parametrize("readers_too", [False, True])
def test_the_sqlite_busy_wait_ends_at_the_deadline(
    engine: Engine, settings: Settings, readers_too: bool
) -> None:
    engine.dispose()  # the fixture's connections, open, would keep the lock holder out
    store = SqlMetadataStore(patient_engine(settings.database_url))
    database = Path(settings.database_url.removeprefix("sqlite:///"))
    with sqlite_locked(database, readers_too=readers_too):
        unavailable_within_the_deadline(lambda: store.insert(a_record()), "metadata")
        if readers_too:
            unavailable_within_the_deadline(lambda: store.get("x"), "metadata")
        else:
            assert store.get("x") is None  # WAL: readers pass a writer
    record = a_record()
    store.insert(record)  # the lock gone, the same store writes again
    assert store.get(record.event_id) == record


def test_the_sql_server_login_ends_at_the_deadline(silent_port: int) -> None:
    store = sql_store(FREETDS_URL.format(port=silent_port), timeout_seconds=30)
    unavailable_within_the_deadline(lambda: store.get("x"), "metadata")
    unavailable_within_the_deadline(lambda: store.insert(a_record()), "metadata")


def test_a_silent_dynamodb_is_given_up_at_the_deadline_however_many_attempts(
    settings: Settings, silent_port: int
) -> None:
    patient = settings.model_copy(
        update={"dynamodb_read_timeout_seconds": 30, "dynamodb_max_attempts": 10}
    )
    client = dynamodb_client(patient, f"http://127.0.0.1:{silent_port}")
    store = DynamoDetailStore(settings.details_table, client, max_attempts=10)
    unavailable_within_the_deadline(lambda: store.get_many(["x"]), "details")
    unavailable_within_the_deadline(lambda: store.claim("x", "u", {}, "h", "w"), "details")


def test_no_pause_between_attempts_runs_past_the_deadline(
    settings: Settings, scripted_dynamodb: Any
) -> None:
    throttling = scripted_dynamodb([], THROTTLED)
    client = dynamodb_client(settings, throttling.url)
    store = DynamoDetailStore("t", client, max_attempts=10, backoff_base_seconds=0.2)
    unavailable_within_the_deadline(store.ping, "details")
    # Each pause doubles (0.4 s, 0.8 s, ... at most): the deadline stops the attempts early.
    assert 1 <= throttling.calls < 10
