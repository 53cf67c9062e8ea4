"""The audit sweep in slices, against SQLite and each DynamoDB emulator: a run its deadline cuts
short hands back a checkpoint, and the runs that resume from it find every orphan exactly once
and check every row, however many slices the sweep takes."""

import uuid
from typing import Any

from sqlalchemy.engine import Engine

from gateway.entrypoints.reconcile import job_settings
from gateway.settings import Settings
from jobs.reconcile import STOP_MARGIN_SECONDS, Checkpoint, Reconciler, Summary
from persistence.deadline import deadline_after
from persistence.details import DynamoDetailStore
from persistence.metadata import SqlMetadataStore
from persistence.protocols import EventRecord
from tests.integration.job_clock import GRACE_SECONDS, Clock

EVENTS, ORPHANS, SEGMENTS, PAGE = 9, 12, 3, 2


def damaged_stores(engine: Engine, client: Any, table: str, clock: Clock) -> tuple[Any, Any]:
    """EVENTS events recorded whole and ORPHANS items whose rows never came, all claimed
    longer ago than the grace period."""
    metadata = SqlMetadataStore(engine)
    details = DynamoDetailStore(table, client, clock_ms=clock, scan_page_items=PAGE)
    for index in range(EVENTS + ORPHANS):
        event_id = str(uuid.uuid4())
        details.claim(event_id, "u", {"n": index}, "hash", uuid.uuid4().hex)
        if index < EVENTS:
            now = clock.now()
            metadata.insert_many([EventRecord(event_id, "u", "t", now, now, "hash")])
    clock.pass_grace()
    return metadata, details


def test_a_sweep_cut_by_its_deadline_resumes_from_its_checkpoint_until_done(
    engine: Engine, client: Any, details_table: str
) -> None:
    clock = Clock()
    stores = damaged_stores(engine, client, details_table, clock)
    job = Reconciler(*stores, grace_seconds=GRACE_SECONDS, segments=SEGMENTS, clock_ms=clock)
    runs: list[Summary] = []
    resume: Checkpoint | None = None
    saved: list[dict[str, Any]] = []
    while not runs or not runs[-1].complete:
        assert len(runs) < 40, "the sweep does not end"
        # Less left than the job's stop margin: every segment stops after one page.
        with deadline_after(STOP_MARGIN_SECONDS - 1):
            runs.append(
                job.run(apply=True, resume=resume, saved=lambda c: saved.append(c.as_json()))
            )
        if not runs[-1].complete:
            assert runs[-1].checkpoint is not None
            assert runs[-1].checkpoint == saved[-1]
            resume = Checkpoint.from_json(runs[-1].checkpoint)
    assert len(runs) > 2
    assert all(run.items_scanned <= SEGMENTS * PAGE for run in runs)
    assert sum(run.items_scanned for run in runs) == EVENTS + ORPHANS
    assert sum(run.orphans_deleted for run in runs) == ORPHANS
    assert sum(run.rows_scanned for run in runs) == EVENTS
    assert runs[-1].checkpoint is None
    metadata, details = stores
    again = Reconciler(metadata, details, grace_seconds=GRACE_SECONDS, clock_ms=clock).run(
        apply=True
    )
    assert (again.items_scanned, again.orphans, again.rows_without_details) == (EVENTS, 0, 0)


def test_a_run_without_the_sweep_scans_nothing(
    engine: Engine, client: Any, details_table: str
) -> None:
    clock = Clock()
    stores = damaged_stores(engine, client, details_table, clock)
    summary = Reconciler(*stores, grace_seconds=GRACE_SECONDS, clock_ms=clock).run(
        apply=True, sweep=False
    )
    assert (summary.items_scanned, summary.rows_scanned, summary.orphans) == (0, 0, 0)
    assert (summary.complete, summary.checkpoint) == (True, None)


def test_each_scan_thread_gets_a_sql_connection_of_its_own(settings: Settings) -> None:
    """On Lambda the pool holds one connection (EVENTLOG_SQL_POOL_SIZE=1): the job's stores
    hold one per segment, and one for the rows' pass."""
    one = settings.model_copy(update={"sql_pool_size": 1})
    assert job_settings(one, 4).sql_pool_size == 5
    assert job_settings(settings.model_copy(update={"sql_pool_size": 9}), 4).sql_pool_size == 9
