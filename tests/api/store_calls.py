"""What a request costs the stores, counted at the drivers: SQL statements and commits at the
engine, DynamoDB operations at botocore."""

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event

from gateway.app import create_app
from gateway.settings import Settings
from gateway.stores import open_stores


class Calls:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def sql(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.counts["sql " + statement.split()[0].upper()] += 1

    def commit(self, _conn: Any) -> None:
        self.counts["sql COMMIT"] += 1

    def dynamodb(self, model: Any, **_: Any) -> None:
        self.counts["dynamodb " + model.name] += 1


@contextmanager
def counted_app(settings: Settings) -> Iterator[tuple[TestClient, Calls]]:
    """The app over the real stores of `settings`, with every store call counted."""
    calls = Calls()
    with open_stores(settings) as stores, TestClient(create_app(settings, stores)) as client:
        event.listen(stores.engine, "before_cursor_execute", calls.sql)
        event.listen(stores.engine, "commit", calls.commit)
        stores.dynamodb.meta.events.register("before-call.dynamodb", calls.dynamodb)
        yield client, calls
