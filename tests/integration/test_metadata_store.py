"""The SQL metadata store: SQLite for behaviour, the mssql dialect for SQL Server's DDL and SQL,
and the real pyodbc driver over FreeTDS for SQL Server being down or silent."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, insert, select, text
from sqlalchemy.dialects import mssql
from sqlalchemy.dialects.mssql import pyodbc as mssql_pyodbc
from sqlalchemy.engine import Engine
from sqlalchemy.schema import CreateIndex, CreateTable

from persistence.metadata import (
    EVENTS_TABLE,
    FENCE_OWNER,
    USER_TIMELINE_INDEX,
    USER_TYPE_TIMELINE_INDEX,
    SqlMetadataStore,
    erasing_owner,
    page_query,
)
from persistence.protocols import (
    DuplicateEventId,
    Erasing,
    EventRecord,
    Fence,
    PageRequest,
)
from persistence.sql_engine import build_engine
from schema.cursor import CursorPosition
from schema.errors import StoreUnavailable
from tests.conftest import FREETDS_URL, closed_port, sql_store

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def record(user_id: str = "u", at: datetime = T0, event_type: str = "view") -> EventRecord:
    return EventRecord(str(uuid.uuid4()), user_id, event_type, at, T0, "h" * 64)


def test_a_row_reads_back_with_utc_microseconds(metadata_store: SqlMetadataStore) -> None:
    row = record(at=datetime(2026, 1, 2, 4, 4, 5, 123456, tzinfo=UTC))
    metadata_store.insert(row)
    assert metadata_store.get(row.event_id) == row


def test_a_second_row_with_the_same_event_id_is_a_duplicate(
    metadata_store: SqlMetadataStore,
) -> None:
    row = record()
    metadata_store.insert(row)
    with pytest.raises(DuplicateEventId):
        metadata_store.insert(row)


def test_pages_are_newest_first_with_ties_by_event_id_and_filters_apply(
    metadata_store: SqlMetadataStore,
) -> None:
    rows = [
        record(at=T0 - timedelta(seconds=i % 2), event_type="view" if i < 4 else "click")
        for i in range(6)
    ]
    rows.append(record(user_id="other"))
    for row in rows:
        metadata_store.insert(row)
    mine = sorted(rows[:6], key=lambda r: (-r.timestamp.timestamp(), r.event_id))
    assert metadata_store.list_page(PageRequest("u", 10)) == mine
    assert metadata_store.list_page(PageRequest("u", 10, event_types=("click",))) == [
        r for r in mine if r.event_type == "click"
    ]
    assert metadata_store.list_page(PageRequest("u", 10, event_types=("click", "view"))) == mine
    window = PageRequest("u", 10, start=T0 - timedelta(seconds=1), end=T0)
    assert metadata_store.list_page(window) == [r for r in mine if r.timestamp < T0]
    after = CursorPosition(mine[2].timestamp, mine[2].event_id)
    assert metadata_store.list_page(PageRequest("u", 2, after=after)) == mine[3:5]


def test_the_timeline_query_is_served_by_the_index_without_sorting(
    engine: Engine, metadata_store: SqlMetadataStore
) -> None:
    metadata_store.insert(record())
    with engine.connect() as connection:
        plan = connection.execute(
            text(
                "EXPLAIN QUERY PLAN SELECT * FROM events WHERE user_id = :u "
                "ORDER BY occurred_at DESC, event_id ASC LIMIT 5"
            ),
            {"u": "u"},
        ).all()
    details = " ".join(str(step[-1]) for step in plan)
    assert "ix_events_user_timeline" in details
    assert "TEMP B-TREE" not in details


def query_plan(engine: Engine, request: PageRequest) -> list[str]:
    """SQLite's plan of the very page query the store runs (values do not change the plan)."""
    compiled = page_query(request).compile(dialect=engine.dialect)
    unbound = tuple(None for _ in compiled.positiontup or ())
    with engine.connect() as connection:
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", unbound).all()
    return [str(step[-1]) for step in plan]


def test_a_page_after_a_cursor_seeks_to_the_cursor_instead_of_rereading_newer_rows(
    engine: Engine,
) -> None:
    after = CursorPosition(T0, str(uuid.uuid4()))
    assert query_plan(engine, PageRequest("u", 5, after=after)) == [
        "SEARCH events USING INDEX ix_events_user_timeline (user_id=? AND occurred_at<?)"
    ]


def test_a_page_of_one_event_type_seeks_on_the_type_index(engine: Engine) -> None:
    after = CursorPosition(T0, str(uuid.uuid4()))
    assert query_plan(engine, PageRequest("u", 5, event_types=("view",), after=after)) == [
        "SEARCH events USING INDEX ix_events_user_type_timeline "
        "(user_id=? AND event_type=? AND occurred_at<?)"
    ]


def test_user_ids_that_differ_only_in_case_are_different_users(
    metadata_store: SqlMetadataStore,
) -> None:
    lower, upper = record(user_id="user-42"), record(user_id="USER-42")
    metadata_store.insert(lower)
    metadata_store.insert(upper)
    assert metadata_store.list_page(PageRequest("user-42", 10)) == [lower]
    assert metadata_store.list_page(PageRequest("USER-42", 10)) == [upper]


def test_sql_server_ddl_uses_nvarchar_datetime2_and_the_timeline_index() -> None:
    ddl = str(CreateTable(EVENTS_TABLE).compile(dialect=mssql.dialect()))
    for column in (
        "event_id NVARCHAR(36) COLLATE Latin1_General_100_BIN2 NOT NULL",
        "user_id NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NOT NULL",
        "event_type NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL",
        "occurred_at DATETIME2(6) NOT NULL",
        "received_at DATETIME2(6) NOT NULL",
        "content_hash NVARCHAR(64) NOT NULL",
        "CONSTRAINT pk_events PRIMARY KEY NONCLUSTERED (event_id)",
    ):
        assert column in ddl
    index = str(CreateIndex(USER_TIMELINE_INDEX).compile(dialect=mssql.dialect()))
    assert index == (
        "CREATE UNIQUE CLUSTERED INDEX ix_events_user_timeline "
        "ON events (user_id, occurred_at DESC, event_id)"
    )
    by_type = str(CreateIndex(USER_TYPE_TIMELINE_INDEX).compile(dialect=mssql.dialect()))
    assert by_type == (
        "CREATE INDEX ix_events_user_type_timeline ON events "
        "(user_id, event_type, occurred_at DESC, event_id) INCLUDE (received_at, content_hash)"
    )


def test_sql_server_page_query_is_parameterised_keyset_with_top() -> None:
    hostile = "u'; DROP TABLE events; --"
    after = CursorPosition(T0, str(uuid.uuid4()))
    request = PageRequest(hostile, 3, ("view",), start=T0, end=T0, after=after)
    # As pyodbc receives it: TOP as the literal page size (an int of ours), a ? per value.
    dialect = mssql_pyodbc.dialect(paramstyle="qmark")
    compiled = page_query(request).compile(
        dialect=dialect, compile_kwargs={"render_postcompile": True}
    )
    sql = " ".join(str(compiled).split())
    assert sql.startswith("SELECT TOP 3 events.event_id,")
    assert sql.endswith(
        "WHERE events.user_id = ? AND events.event_type = ? AND events.occurred_at >= ? "
        "AND events.occurred_at < ? AND events.occurred_at <= ? AND (events.occurred_at < ? "
        "OR events.occurred_at = ? AND events.event_id > ?) "
        "ORDER BY events.occurred_at DESC, events.event_id ASC"
    )
    assert hostile in compiled.params.values()
    assert "DROP" not in sql and "OFFSET" not in sql


def compiled_for_sql_server(request: PageRequest) -> str:
    compiled = page_query(request).compile(
        dialect=mssql_pyodbc.dialect(paramstyle="qmark"),
        compile_kwargs={"render_postcompile": True},
    )
    return " ".join(str(compiled).split())


def test_several_types_are_one_ordered_seek_each_merged_on_sql_server() -> None:
    """Each type: TOP (n) rows on the type index in page order, so no more than n rows a type
    are read; the merge of those is sorted and cut to n. No IN list: it would read and sort
    every matching row of the user."""
    sql = compiled_for_sql_server(PageRequest("u", 20, ("view", "click", "buy")))
    seek = (
        "FROM (SELECT TOP 20 events.event_id AS event_id, events.user_id AS user_id, "
        "events.event_type AS event_type, events.occurred_at AS occurred_at, "
        "events.received_at AS received_at, events.content_hash AS content_hash FROM events "
        "WHERE events.user_id = ? AND events.event_type = ? "
        "ORDER BY events.occurred_at DESC, events.event_id ASC) AS seek{}"
    )
    assert sql.startswith("SELECT TOP 20 merged.event_id, merged.user_id,")
    assert sql.endswith(") AS merged ORDER BY merged.occurred_at DESC, merged.event_id ASC")
    # Three types, padded to four seeks; UNION ALL between them.
    assert [sql.count(seek.format(n)) for n in range(1, 6)] == [1, 1, 1, 1, 0]
    assert sql.count(" UNION ALL ") == 3 and " IN (" not in sql


@pytest.mark.parametrize(("count", "seeks"), [(2, 2), (3, 4), (4, 4), (5, 8), (9, 16), (10, 16)])
def test_the_type_filter_has_one_of_four_shapes(count: int, seeks: int) -> None:
    types = tuple(f"type{n}" for n in range(count))
    sql = compiled_for_sql_server(PageRequest("u", 20, types))
    assert sql.count(" UNION ALL ") == seeks - 1


def test_several_types_list_exactly_the_page_in_order_across_cursors(
    metadata_store: SqlMetadataStore,
) -> None:
    """On SQLite, the merged seeks page as the single filter would: every type's rows, in
    time order, ties by eventId, each page after its cursor, a repeated type counted once."""
    kinds = ["view", "click", "buy", "other"]
    rows = [record("merger", T0 - timedelta(seconds=n // 3), kinds[n % 4]) for n in range(40)]
    for one in rows:
        metadata_store.insert(one)
    wanted = sorted(
        (one for one in rows if one.event_type in ("view", "click", "buy")),
        key=lambda one: (-one.timestamp.timestamp(), one.event_id),
    )
    listed: list[EventRecord] = []
    after = None
    while True:
        page = metadata_store.list_page(
            PageRequest("merger", 7, ("view", "click", "buy", "view"), after=after)
        )
        listed += page
        if len(page) < 7:
            break
        after = CursorPosition(page[-1].timestamp, page[-1].event_id)
    assert listed == wanted


def mssql_store(port: int, timeout_seconds: int = 2) -> SqlMetadataStore:
    return sql_store(FREETDS_URL.format(port=port), timeout_seconds)


def test_sql_server_refusing_connections_makes_the_store_unavailable() -> None:
    store = mssql_store(closed_port())
    for action in (
        store.ping,
        lambda: store.get(str(uuid.uuid4())),
        lambda: store.insert(record()),
    ):
        with pytest.raises(StoreUnavailable) as failure:
            action()
        assert failure.value.store == "metadata"
        assert not failure.value.in_doubt


def test_sql_server_that_never_answers_times_out_instead_of_hanging(silent_port: int) -> None:
    store = mssql_store(silent_port, timeout_seconds=1)
    with pytest.raises(StoreUnavailable):
        store.ping()


def test_a_batch_of_rows_commits_together_or_not_at_all(metadata_store: SqlMetadataStore) -> None:
    taken = record()
    metadata_store.insert(taken)
    fresh = [record() for _ in range(3)]
    with pytest.raises(DuplicateEventId):
        metadata_store.insert_many([*fresh, taken])
    assert metadata_store.get_many([row.event_id for row in fresh]) == {}
    metadata_store.insert_many(fresh)
    found = metadata_store.get_many([row.event_id for row in fresh] + [str(uuid.uuid4())])
    assert found == {row.event_id: row for row in fresh}


def test_lookups_by_many_ids_go_1000_to_a_statement(
    engine: Engine, metadata_store: SqlMetadataStore
) -> None:
    """SQL Server takes at most 2,100 parameters a statement."""
    rows = [record() for _ in range(1500)]
    metadata_store.insert_many(rows)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    ids = [row.event_id for row in rows]
    assert len(metadata_store.get_many(ids)) == 1500
    mark = metadata_store.mark_erasing("u", ids, at=T0)
    assert metadata_store.still_marked(mark, ids) == set(ids)
    assert metadata_store.fence(mark, ids, at=T0, purge_before=T0) == 1500
    # get_many, mark, still_marked, fence: two statements each; the purge: one.
    assert len(statements) == 9
    assert metadata_store.event_ids_after(None, 2000) == []


def test_a_users_rows_are_marked_then_fenced_and_no_one_elses(
    engine: Engine, metadata_store: SqlMetadataStore
) -> None:
    mine = [record(user_id="eraser", at=T0 - timedelta(seconds=i)) for i in range(3)]
    theirs = record(user_id="other")
    metadata_store.insert_many([*mine, theirs])
    ids = [row.event_id for row in mine]
    assert metadata_store.user_event_ids("eraser", 2) == ids[:2]
    marked_at = T0 + timedelta(minutes=1)
    mark = metadata_store.mark_erasing("eraser", [*ids, theirs.event_id], at=marked_at)
    owner = erasing_owner("eraser")
    assert (mark.owner, sorted(mark.event_ids)) == (owner, sorted(ids))
    # Invisible to every read; still the user's, for the user's next erasure call.
    assert metadata_store.list_page(PageRequest("eraser", 10)) == []
    assert [metadata_store.get(event_id) for event_id in ids] == [None] * 3
    assert metadata_store.get_many(ids) == {key: Erasing(key, owner, mark.nonce) for key in ids}
    assert sorted(metadata_store.user_event_ids("eraser", 10)) == sorted(ids)
    assert metadata_store.user_event_ids("eraser", 10, among=ids[:1]) == ids[:1]
    assert metadata_store.get(theirs.event_id) == theirs
    assert metadata_store.event_ids_after(None, 10) == [theirs.event_id]
    assert stored_rows(engine, ids) == {(owner, "", mark.nonce, marked_at)}
    # Another call takes the rows over: the first call's mark no longer holds them.
    taken = metadata_store.mark_erasing("eraser", ids, at=marked_at)
    assert metadata_store.still_marked(mark, ids) == set()
    assert metadata_store.fence(mark, ids, at=marked_at, purge_before=T0) == 0
    fenced_at = marked_at + timedelta(minutes=1)
    assert metadata_store.fence(taken, ids[:2], at=fenced_at, purge_before=T0) == 2
    assert metadata_store.get_many(ids[:2]) == {key: Fence(key, taken.nonce) for key in ids[:2]}
    assert stored_rows(engine, ids[:2]) == {(FENCE_OWNER, "", taken.nonce, fenced_at)}
    assert metadata_store.user_event_ids("eraser", 10) == ids[2:]
    abandoned = metadata_store.abandoned_erasures(marked_at + timedelta(seconds=1), 10)
    assert abandoned == [Erasing(ids[2], owner, taken.nonce)]
    assert metadata_store.abandoned_erasures(marked_at, 10) == []
    assert metadata_store.purge_fences(fenced_at, 10) == 0
    assert metadata_store.purge_fences(fenced_at + timedelta(microseconds=1), 1) == 1
    assert len(metadata_store.get_many(ids[:2])) == 1


def stored_rows(engine: Engine, event_ids: list[str]) -> set[tuple[object, ...]]:
    """What SQL holds of the rows besides their eventIds: owner, type, hash, time."""
    column = EVENTS_TABLE.c
    query = select(
        column.user_id, column.event_type, column.content_hash, column.occurred_at
    ).where(column.event_id.in_(event_ids))
    with engine.connect() as connection:
        return {tuple(row) for row in connection.execute(query)}


def test_a_fence_is_replaced_only_by_a_write_that_names_it(
    metadata_store: SqlMetadataStore,
) -> None:
    gone = record()
    metadata_store.insert(gone)
    mark = metadata_store.mark_erasing("u", [gone.event_id], at=T0)
    metadata_store.fence(mark, [gone.event_id], at=T0, purge_before=T0)
    again = EventRecord(gone.event_id, "u", "view", T0, T0, "a" * 64)
    other = record()
    with pytest.raises(DuplicateEventId):
        metadata_store.insert_many([again, other])  # the fence takes the eventId
    with pytest.raises(DuplicateEventId):
        metadata_store.insert_many([again, other], replacing=[Fence(gone.event_id, "stale")])
    assert metadata_store.get_many([gone.event_id, other.event_id]) == {
        gone.event_id: Fence(gone.event_id, mark.nonce)
    }
    metadata_store.insert_many([again, other], replacing=[Fence(gone.event_id, mark.nonce)])
    assert metadata_store.get_many([gone.event_id, other.event_id]) == {
        gone.event_id: again,
        other.event_id: other,
    }


def test_sql_server_batches_go_as_one_parameter_array_with_fast_executemany() -> None:
    """pyodbc's fast_executemany sends an executemany's rows in one round trip; SQLAlchemy 2.0.9+
    uses it for every INSERT of several rows without RETURNING."""
    store_engine = build_engine(
        FREETDS_URL.format(port=closed_port()),
        connect_timeout_seconds=1,
        query_timeout_seconds=1,
        pool_size=1,
        pool_timeout_seconds=1,
    )
    assert store_engine.dialect.fast_executemany is True  # type: ignore[attr-defined]
    compiled = insert(EVENTS_TABLE).compile(dialect=store_engine.dialect)
    assert str(compiled).startswith("INSERT INTO events (event_id, user_id, event_type")
    assert "OUTPUT" not in str(compiled)  # no RETURNING: the executemany path
