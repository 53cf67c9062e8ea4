"""The reconcile job against the real stores (SQLite through SQLAlchemy, DynamoDB over HTTP to
moto and to dynalite): every crash window of the write protocol leaves exactly the orphans the
job then finds and, once their grace period is over, removes; an erasure nobody repeated is
finished by every run, dry or not; and no event a client can see is ever touched."""

import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from jobs.reconcile import Reconciler
from persistence.details import DynamoDetailStore
from persistence.metadata import SqlMetadataStore
from persistence.protocols import EventRecord, Fence, ItemVersion
from resolvers import EventResolver
from schema.access import Caller
from schema.errors import StoreUnavailable
from schema.events import EventListQuery
from schema.limits import Limits
from tests.factories import make_event
from tests.integration.job_clock import GRACE_SECONDS, Clock

ANYONE = Caller.anyone()


class Crash(BaseException):
    """The process dies here: no handler runs, nothing is withdrawn (not an Exception, so no
    `except` of ours catches it)."""


class CrashingRows:
    """The real SQL store, whose next insert crashes the process before or after committing,
    or whose COMMIT ends in doubt without landing."""

    def __init__(self, real: SqlMetadataStore, how: str) -> None:
        self.real, self.how = real, how

    def insert_many(self, records: Sequence[EventRecord], **options: Any) -> None:
        how, self.how = self.how, ""
        if how == "crash":
            raise Crash
        if how == "in-doubt":
            raise StoreUnavailable("metadata", in_doubt=True)
        self.real.insert_many(records, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


class CrashingDeletes:
    """The real details store, whose next deletion crashes the process first."""

    def __init__(self, real: DynamoDetailStore) -> None:
        self.real, self.crash = real, True

    def delete_unchanged(self, versions: Sequence[ItemVersion], **options: Any) -> list[str]:
        if self.crash:
            self.crash = False
            raise Crash
        return self.real.delete_unchanged(versions, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def stores(
    engine: Engine, client: Any, details_table: str, clock: Clock
) -> tuple[SqlMetadataStore, DynamoDetailStore]:
    return SqlMetadataStore(engine), DynamoDetailStore(details_table, client, clock_ms=clock)


def resolver(metadata: Any, details: Any, clock: Clock | None = None) -> EventResolver:
    now = (clock or Clock()).now
    return EventResolver(metadata, details, limits=Limits(), cursor_secret=b"k" * 32, clock=now)


def job(stores: tuple[SqlMetadataStore, DynamoDetailStore], clock: Clock) -> Reconciler:
    return Reconciler(*stores, grace_seconds=GRACE_SECONDS, segments=3, clock_ms=clock)


def visible(stores: tuple[SqlMetadataStore, DynamoDetailStore], user_id: str) -> list[str]:
    """The eventIds a client listing the user's events is shown."""
    page = resolver(*stores).list_events(user_id, EventListQuery(limit=1000), caller=ANYONE)
    return [str(event.event_id) for event in page.events]


def crash_windows(
    stores: tuple[SqlMetadataStore, DynamoDetailStore], clock: Clock
) -> dict[str, str]:
    """One event cut short in each window, and one recorded whole; the eventId of each."""
    metadata, details = stores
    cut: dict[str, str] = {}
    for how in ("crash", "in-doubt"):
        body = make_event(userId="victim", eventId=str(uuid.uuid4()))
        with pytest.raises((Crash, StoreUnavailable)):
            resolver(CrashingRows(metadata, how), details).record_event(body, caller=ANYONE)
        cut[how] = body["eventId"]
    erased = make_event(userId="victim", eventId=str(uuid.uuid4()))
    resolver(metadata, details).record_event(erased, caller=ANYONE)
    with pytest.raises(Crash):
        resolver(metadata, CrashingDeletes(details), clock).delete_event(
            "victim", erased["eventId"], caller=ANYONE
        )
    cut["erasure"] = erased["eventId"]
    whole = make_event(userId="victim", eventId=str(uuid.uuid4()))
    resolver(metadata, details).record_event(whole, caller=ANYONE)
    cut["whole"] = whole["eventId"]
    return cut


def test_every_crash_window_leaves_an_invisible_orphan_that_the_job_finds_and_removes(
    stores: tuple[SqlMetadataStore, DynamoDetailStore], clock: Clock
) -> None:
    cut = crash_windows(stores, clock)
    orphans = {cut["crash"], cut["in-doubt"]}
    assert visible(stores, "victim") == [cut["whole"]]

    young = job(stores, clock).run(apply=True)
    # The erasure's row is marked: its item is the erasure's, not an orphan.
    assert (young.items_scanned, young.orphans, young.orphans_in_grace) == (4, 2, 2)
    assert (young.erasures_finished, young.orphans_deleted, young.erasures_pending) == (0, 0, 1)
    assert set(young.orphan_ids) == orphans
    assert set(stores[1].versions([*orphans, cut["erasure"]])) == {*orphans, cut["erasure"]}

    clock.pass_grace()
    dry = job(stores, clock).run(apply=False)
    # A dry run finishes the abandoned erasure all the same, and deletes no orphan.
    assert (dry.erasures_finished, dry.orphans, dry.orphans_in_grace, dry.orphans_deleted) == (
        1,
        2,
        0,
        0,
    )
    assert dry.erasures_pending == 0
    assert set(stores[1].versions([*orphans, cut["erasure"]])) == orphans
    assert isinstance(stores[0].get_many([cut["erasure"]])[cut["erasure"]], Fence)

    applied = job(stores, clock).run(apply=True)
    assert (applied.orphans, applied.orphans_deleted, applied.orphans_kept) == (2, 2, 0)
    assert (applied.rows_scanned, applied.rows_without_details, applied.fences_purged) == (1, 0, 0)
    assert stores[1].versions([*orphans, cut["whole"]]).keys() == {cut["whole"]}
    assert visible(stores, "victim") == [cut["whole"]]

    clock.pass_grace()
    again = job(stores, clock).run(apply=True)
    assert (again.items_scanned, again.orphans, again.orphans_deleted) == (1, 0, 0)
    assert (again.erasures_finished, again.fences_purged) == (0, 1)
    assert stores[0].get_many([cut["erasure"]]) == {}


def test_the_retry_of_a_crashed_write_adopts_its_orphan_and_the_job_then_leaves_it(
    stores: tuple[SqlMetadataStore, DynamoDetailStore], clock: Clock
) -> None:
    metadata, details = stores
    body = make_event(eventId=str(uuid.uuid4()))
    with pytest.raises(Crash):
        resolver(CrashingRows(metadata, "crash"), details).record_event(body, caller=ANYONE)
    clock.pass_grace()
    assert resolver(metadata, details).record_event(body, caller=ANYONE).created
    summary = job(stores, clock).run(apply=True)
    assert (summary.orphans, summary.orphans_deleted) == (0, 0)
    assert visible(stores, body["userId"]) == [body["eventId"]]


def test_an_orphan_adopted_while_the_job_checks_it_is_kept(
    stores: tuple[SqlMetadataStore, DynamoDetailStore], clock: Clock
) -> None:
    """The job has read the orphan's version and found no row; before it deletes, the client's
    retry claims the item and commits its row: the conditional delete keeps the item."""
    metadata, details = stores
    body = make_event(eventId=str(uuid.uuid4()))
    with pytest.raises(Crash):
        resolver(CrashingRows(metadata, "crash"), details).record_event(body, caller=ANYONE)
    clock.pass_grace()

    class RetryDuringTheCheck:
        def get_many(self, event_ids: Sequence[str]) -> Any:
            found = metadata.get_many(event_ids)
            assert resolver(metadata, details).record_event(body, caller=ANYONE).created
            return found

        def __getattr__(self, name: str) -> Any:
            return getattr(metadata, name)

    checking = Reconciler(
        RetryDuringTheCheck(), details, grace_seconds=GRACE_SECONDS, segments=1, clock_ms=clock
    )
    summary = checking.run(apply=True)
    assert (summary.orphans, summary.orphans_deleted, summary.orphans_kept) == (1, 0, 1)
    assert visible(stores, body["userId"]) == [body["eventId"]]


def test_rows_whose_details_are_gone_are_reported_and_left_alone(
    stores: tuple[SqlMetadataStore, DynamoDetailStore], clock: Clock, client: Any
) -> None:
    metadata, details = stores
    bodies = [make_event(eventId=str(uuid.uuid4())) for _ in range(3)]
    resolver(metadata, details).record_events({"events": bodies}, caller=ANYONE)
    lost = bodies[1]["eventId"]
    client.delete_item(TableName=details._table, Key={"eventId": {"S": lost}})
    summary = job(stores, clock).run(apply=True)
    assert (summary.rows_scanned, summary.rows_without_details) == (3, 1)
    assert summary.bare_row_ids == [lost]
    assert isinstance(metadata.get(lost), EventRecord)  # left alone
