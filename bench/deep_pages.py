"""A keyset page deep in a long history costs what the first page costs (`make bench-deep`, and
part of `make bench`): a SQLite file holding 100,000 events of one user, the page of 20 at the
cursor of the 99,000th event against the first page, each the median of many runs, through the
metadata store's own query.

Beside it, the same page with the cursor predicate as it was before the redundant bound
`occurred_at <= :cursor` (SQL Server's and SQLite's planners seek on `user_id` only with the
OR alone, and then filter every newer row): what the bound buys.
"""

import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import and_, or_, select

from bench.harness import TABLE_HEAD, Target, knob, line
from persistence.metadata import EVENTS_TABLE, EventRow, SqlMetadataStore, create_metadata_schema
from persistence.protocols import EventRecord, PageRequest
from persistence.sql_engine import build_engine
from schema.cursor import CursorPosition

EVENTS = int(knob("BENCH_DEEP_EVENTS", "100000", "2000"))
DEPTH = EVENTS - EVENTS // 100  # the 99,000th of 100,000
PAGE = 20
RUNS = int(knob("BENCH_DEEP_RUNS", "200", "5"))
USER = "deep-user"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def seeded_store(folder: Path) -> tuple[SqlMetadataStore, list[EventRecord]]:
    engine = build_engine(
        f"sqlite:///{folder / 'events.db'}",
        connect_timeout_seconds=5,
        query_timeout_seconds=30,
        pool_size=1,
        pool_timeout_seconds=5,
    )
    create_metadata_schema(engine)
    store = SqlMetadataStore(engine)
    records = [
        EventRecord(str(uuid.uuid4()), USER, "page_view", T0 + timedelta(seconds=n), T0, "h" * 64)
        for n in range(EVENTS)
    ]
    for start in range(0, EVENTS, 5000):
        store.insert_many(records[start : start + 5000])
    records.sort(key=lambda r: r.event_id)
    records.sort(key=lambda r: r.timestamp, reverse=True)  # the timeline's order
    return store, records


def median_ms(*calls: Callable[[], object]) -> list[float]:
    """The median time of each call, the calls taking turns so a change of load hits all alike."""
    times: list[list[float]] = [[] for _ in calls]
    for _ in range(RUNS):
        for call, taken in zip(calls, times, strict=True):
            began = time.perf_counter()
            call()
            taken.append((time.perf_counter() - began) * 1000)
    return [statistics.median(taken) for taken in times]


def without_the_bound(store: SqlMetadataStore, after: CursorPosition) -> list[object]:
    """The page query as it was: the keyset OR alone."""
    row = EVENTS_TABLE.c
    query = (
        select(EventRow)
        .where(
            row.user_id == USER,
            or_(
                row.occurred_at < after.timestamp,
                and_(row.occurred_at == after.timestamp, row.event_id > after.event_id),
            ),
        )
        .order_by(row.occurred_at.desc(), row.event_id.asc())
        .limit(PAGE + 1)
    )
    with store._session() as session:  # the store's own session, for the old query only
        return list(session.scalars(query))


def main() -> list[str]:
    with tempfile.TemporaryDirectory(prefix="bench-deep-") as folder:
        store, timeline = seeded_store(Path(folder))
        cursor = timeline[DEPTH - 1]
        after = CursorPosition(cursor.timestamp, cursor.event_id)
        first = PageRequest(USER, PAGE + 1)
        deep = PageRequest(USER, PAGE + 1, after=after)
        assert store.list_page(deep)[0] == timeline[DEPTH]
        first_ms, deep_ms = median_ms(lambda: store.list_page(first), lambda: store.list_page(deep))
        (old_ms,) = median_ms(lambda: without_the_bound(store, after))
    anchor = f"first page: {first_ms:.2f} ms"
    return [
        line(
            f"page of {PAGE} at cursor depth {DEPTH:,} of {EVENTS:,} events (SQLite)",
            f"{deep_ms:.2f} ms, median of {RUNS}",
            anchor,
            deep_ms / first_ms,
            Target(1.5, at_most=True),
        ),
        line(
            "  information: the same without the bound `occurred_at <= :cursor`",
            f"{old_ms:.2f} ms",
            anchor,
            old_ms / first_ms,
        ),
    ]


if __name__ == "__main__":
    print(f"median of {RUNS} runs each, the metadata store's page query")
    print(TABLE_HEAD)
    print("\n".join(main()))
