"""The retention job against the real stores (SQLite through SQLAlchemy, DynamoDB over HTTP to
moto and to dynalite): events received longer ago than the retention leave both stores, newer
ones stay; a run killed mid-chunk never leaves a visible event without its details, and the runs
after it finish the job."""

import io
import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from gateway.entrypoints.retention import remove_expired
from gateway.metrics import EmfSink
from gateway.settings import Settings
from gateway.stores import open_stores
from jobs.retention import Retention
from persistence.details import DynamoDetailStore
from persistence.metadata import SqlMetadataStore
from persistence.protocols import EventRecord, Fence, ItemVersion
from persistence.telemetry import Telemetry
from resolvers import EventResolver
from schema.access import Caller
from schema.limits import Limits
from tests.emf import assert_valid_emf
from tests.factories import make_event

ANYONE = Caller.anyone()
GRACE_SECONDS = 900
DAYS = 30
NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)


class Crash(BaseException):
    """The process dies here: no handler runs (not an Exception)."""


class CrashingDeletes:
    """The real details store, whose `at`-th deletion call kills the process first."""

    def __init__(self, real: DynamoDetailStore, at: int) -> None:
        self.real, self.left = real, at

    def delete_unchanged(self, versions: Sequence[ItemVersion], **options: Any) -> list[str]:
        self.left -= 1
        if self.left == 0:
            raise Crash
        return self.real.delete_unchanged(versions, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@pytest.fixture
def stores(engine: Engine, client: Any, details_table: str) -> tuple[Any, Any]:
    return SqlMetadataStore(engine), DynamoDetailStore(details_table, client)


def record(stores: tuple[Any, Any], received: datetime, users: list[str]) -> list[str]:
    """One event of each user, received at `received`; their eventIds."""
    resolver = EventResolver(
        *stores, limits=Limits(), cursor_secret=b"k" * 32, clock=lambda: received
    )
    bodies = [make_event(userId=user, eventId=str(uuid.uuid4())) for user in users]
    resolver.record_events({"events": bodies}, caller=ANYONE)
    return [body["eventId"] for body in bodies]


def job(stores: tuple[Any, Any], now: datetime, chunk: int = 4) -> Retention:
    return Retention(
        *stores, days=DAYS, grace_seconds=GRACE_SECONDS, clock=lambda: now, events_per_chunk=chunk
    )


def assert_no_event_without_details(stores: tuple[Any, Any], event_ids: list[str]) -> None:
    metadata, details = stores
    rows = metadata.get_many(event_ids)
    events = {key for key, row in rows.items() if isinstance(row, EventRecord)}
    assert events <= set(details.versions(event_ids)), "a visible event lost its details"


def test_events_older_than_the_retention_leave_both_stores_and_newer_ones_stay(
    stores: tuple[Any, Any],
) -> None:
    users = [f"user-{n % 3}" for n in range(10)]
    old = record(stores, NOW - timedelta(days=DAYS, hours=1), users)
    new = record(stores, NOW - timedelta(days=DAYS - 1), users)
    summary = job(stores, NOW).run()
    assert (summary.events_removed, summary.complete, summary.retention_days) == (10, True, DAYS)
    metadata, details = stores
    assert details.versions(old) == {}
    assert all(isinstance(row, Fence) for row in metadata.get_many(old).values())
    assert set(details.versions(new)) == set(new)
    assert all(isinstance(metadata.get(event_id), EventRecord) for event_id in new)
    assert job(stores, NOW).run().events_removed == 0


def test_a_run_killed_mid_chunk_shows_no_half_event_and_the_next_runs_finish_it(
    stores: tuple[Any, Any],
) -> None:
    metadata, details = stores
    users = [f"user-{n % 3}" for n in range(10)]
    old = record(stores, NOW - timedelta(days=DAYS + 2), users)
    new = record(stores, NOW - timedelta(days=1), users[:2])
    # The third user-chunk's deletion: two chunks' first users done, the rest marked or not.
    with pytest.raises(Crash):
        job((metadata, CrashingDeletes(details, 3)), NOW).run()
    assert_no_event_without_details(stores, old + new)
    marked = [
        k for k, row in metadata.get_many(old).items() if not isinstance(row, Fence | EventRecord)
    ]
    assert marked, "the crash left rows being erased"

    again = job(stores, NOW).run()
    assert_no_event_without_details(stores, old + new)
    # The rows the dead run marked are invisible, and wait for the grace period.
    assert (again.erasures_finished, again.erasures_pending) == (0, len(marked))
    assert set(details.versions(old)) == set(marked)

    later = job(stores, NOW + timedelta(seconds=GRACE_SECONDS + 1)).run()
    assert (later.erasures_finished, later.events_removed) == (len(marked), 0)
    assert later.erasures_pending == 0
    assert details.versions(old) == {}
    assert all(isinstance(row, Fence) for row in metadata.get_many(old).values())
    assert set(details.versions(new)) == set(new)


def test_without_a_retention_the_job_removes_nothing(settings: Settings) -> None:
    assert settings.retention_days is None
    assert remove_expired(settings) is None


def test_a_run_writes_one_emf_line_of_what_it_removed(settings: Settings) -> None:
    """The scheduled function's metrics: what the run removed and finished, what is still marked
    for erasure, and its duration, in one line (the store calls' latencies with them)."""
    kept = settings.model_copy(update={"retention_days": DAYS})
    with open_stores(kept) as opened:
        old = record(
            (opened.metadata, opened.details),
            datetime.now(UTC) - timedelta(days=DAYS + 1),
            ["user-a", "user-b"],
        )
    lines = io.StringIO()
    summary = remove_expired(kept, Telemetry(EmfSink(lines)))
    assert summary is not None and summary.events_removed == len(old)
    (line,) = [json.loads(text) for text in lines.getvalue().splitlines()]
    assert_valid_emf(line)
    assert {
        name: line[name]
        for name in ("RetentionEventsRemoved", "ErasuresCompleted", "ErasuresPending")
    } == {"RetentionEventsRemoved": 2, "ErasuresCompleted": 0, "ErasuresPending": 0}
    assert line["JobDuration.retention"] > 0 and "ReconcileFailures" not in line
    assert line["StoreLatency.metadata"] and line["StoreLatency.details"]
