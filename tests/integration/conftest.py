"""Real adapters: DynamoDB through botocore to moto's server and to dynalite (each test of the
details store runs against both), SQL through SQLAlchemy to SQLite."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from gateway.settings import Settings
from gateway.stores import dynamodb_client
from persistence.details import DynamoDetailStore, ensure_details_table
from persistence.metadata import SqlMetadataStore, create_metadata_schema
from persistence.sql_engine import build_engine
from tests.integration.scripted import ScriptedDynamoDB


@pytest.fixture
def client(emulator_settings: Settings) -> Any:
    client = dynamodb_client(emulator_settings, emulator_settings.dynamodb_endpoint)
    ensure_details_table(client, emulator_settings.details_table)
    return client


@pytest.fixture
def detail_store(client: Any, details_table: str) -> DynamoDetailStore:
    return DynamoDetailStore(details_table, client)


@pytest.fixture
def engine(settings: Settings) -> Engine:
    engine = build_engine(
        settings.database_url,
        connect_timeout_seconds=2,
        query_timeout_seconds=2,
        pool_size=2,
        pool_timeout_seconds=2,
    )
    create_metadata_schema(engine)
    return engine


@pytest.fixture
def metadata_store(engine: Engine) -> SqlMetadataStore:
    return SqlMetadataStore(engine)


@pytest.fixture
def scripted_dynamodb() -> Iterator[Callable[..., ScriptedDynamoDB]]:
    made: list[ScriptedDynamoDB] = []

    def make(*args: Any) -> ScriptedDynamoDB:
        made.append(ScriptedDynamoDB(*args))
        return made[-1]

    yield make
    for endpoint in made:
        endpoint.server.shutdown()
