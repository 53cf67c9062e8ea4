"""A transaction SQL Server rolled back (its deadlock victim, or its connection lost before the
COMMIT) is run again once; rows go in eventId order. The driver double sits at the DBAPI
boundary of the real engine (SQLite underneath) and fails as pyodbc does: an error whose first
argument is the SQLSTATE (40001, native error 1205, for a deadlock victim)."""

import sqlite3
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine

from persistence.metadata import EVENTS_TABLE, SqlMetadataStore
from persistence.protocols import EventRecord
from schema.errors import StoreUnavailable

DEADLOCK = (
    "40001",
    "[40001] [Microsoft][ODBC Driver 18 for SQL Server][SQL Server]Transaction (Process ID 57) "
    "was deadlocked on lock resources with another process and has been chosen as the deadlock "
    "victim. Rerun the transaction. (1205) (SQLExecute)",
)
CONSTRAINT = ("23000", "[23000] ... Violation of PRIMARY KEY constraint 'pk_events'. (2627)")
T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


class Driver:
    """What reaches the driver, and the failures it has in store for the next INSERTs."""

    def __init__(self, failures: list[tuple[str, str]]) -> None:
        self.failures = failures
        self.inserts: list[list[str]] = []

    def insert(self, parameters: Any) -> None:
        rows = parameters if isinstance(parameters, list) else [parameters]
        self.inserts.append([row[0] for row in rows])
        if self.failures:
            raise sqlite3.OperationalError(*self.failures.pop(0))


class Cursor:
    def __init__(self, real: sqlite3.Cursor, driver: Driver) -> None:
        self._real, self._driver = real, driver

    def execute(self, statement: str, parameters: Any = ()) -> Any:
        if statement.startswith("INSERT INTO events"):
            self._driver.insert(parameters)
        return self._real.execute(statement, parameters)

    def executemany(self, statement: str, parameters: Any) -> Any:
        if statement.startswith("INSERT INTO events"):
            self._driver.insert(list(parameters))
        return self._real.executemany(statement, parameters)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class Connection:
    def __init__(self, real: sqlite3.Connection, driver: Driver) -> None:
        self._real, self._driver = real, driver

    def cursor(self) -> Cursor:
        return Cursor(self._real.cursor(), self._driver)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def through(engine: Engine, driver: Driver) -> SqlMetadataStore:
    engine.dispose()

    @event.listens_for(engine, "do_connect")
    def _doubled(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Connection:
        return Connection(dialect.connect(*cargs, **cparams), driver)

    return SqlMetadataStore(engine)


def records(count: int) -> list[EventRecord]:
    return [EventRecord(str(uuid.uuid4()), "u", "view", T0, T0, "h" * 64) for _ in range(count)]


def stored(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(EVENTS_TABLE)).scalar_one())


def test_a_batch_chosen_as_deadlock_victim_is_run_again_once_and_stored(engine: Engine) -> None:
    driver = Driver([DEADLOCK])
    batch = records(5)
    through(engine, driver).insert_many(batch)
    ordered = sorted(one.event_id for one in batch)
    assert driver.inserts == [ordered, ordered]
    assert stored(engine) == 5


def test_a_second_deadlock_is_503_not_in_doubt_and_nothing_is_stored(engine: Engine) -> None:
    driver = Driver([DEADLOCK, DEADLOCK])
    with pytest.raises(StoreUnavailable) as failure:
        through(engine, driver).insert_many(records(3))
    assert (failure.value.store, failure.value.in_doubt) == ("metadata", False)
    assert len(driver.inserts) == 2
    assert stored(engine) == 0


@pytest.mark.parametrize("failure", [CONSTRAINT, ("42000", "[42000] Incorrect syntax")])
def test_other_failures_are_not_run_again(engine: Engine, failure: tuple[str, str]) -> None:
    driver = Driver([failure])
    with pytest.raises(StoreUnavailable):
        through(engine, driver).insert_many(records(2))
    assert len(driver.inserts) == 1
    assert stored(engine) == 0


def test_a_connection_lost_before_the_commit_is_run_again_on_a_new_one(engine: Engine) -> None:
    """SQLAlchemy marks a connection invalid when the dialect says the error is a disconnect
    (for pyodbc: 08S01 and the like); the server rolled the transaction back."""
    driver = Driver([("08S01", "[08S01] Communication link failure")])
    engine.dialect.is_disconnect = lambda e, *_: "08S01" in str(e)  # type: ignore[method-assign]
    batch = records(2)
    through(engine, driver).insert_many(batch)
    assert len(driver.inserts) == 2
    assert stored(engine) == 2


def test_rows_reach_the_driver_in_event_id_order(engine: Engine) -> None:
    """Two batches sharing eventIds lock their keys in one order: one waits, neither is a
    deadlock victim."""
    driver = Driver([])
    batch = records(20)
    through(engine, driver).insert_many(sorted(batch, key=lambda one: one.event_id, reverse=True))
    assert driver.inserts == [sorted(one.event_id for one in batch)]
