"""Building the stores from settings, and tearing them down: the one place that wires I/O."""

import json
import logging
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from pydantic import SecretStr
from sqlalchemy.engine import Engine, make_url

from gateway.settings import AWS_DEFAULT, Settings
from persistence.details import DynamoDetailStore, ensure_details_table
from persistence.metadata import SqlMetadataStore, create_metadata_schema
from persistence.sql_engine import build_engine

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stores:
    metadata: SqlMetadataStore
    details: DynamoDetailStore
    cursor_secret: bytes
    description: dict[str, str]
    engine: Engine
    dynamodb: "DynamoDBClient"


@contextmanager
def open_stores(settings: Settings) -> Iterator[Stores]:
    with ExitStack() as cleanup:
        database_url, endpoint = settings.database_url, settings.dynamodb_endpoint
        if settings.embedded:
            folder = cleanup.enter_context(tempfile.TemporaryDirectory(prefix="eventlog-"))
            database_url = f"sqlite:///{Path(folder) / 'events.db'}"
            endpoint = _start_embedded_dynamodb(cleanup)
        engine = build_engine(
            database_url,
            connect_timeout_seconds=settings.sql_connect_timeout_seconds,
            query_timeout_seconds=settings.sql_query_timeout_seconds,
            pool_size=settings.sql_pool_size,
            pool_timeout_seconds=settings.sql_connect_timeout_seconds,
        )
        cleanup.callback(engine.dispose)
        client = dynamodb_client(settings, endpoint)
        if settings.embedded or settings.create_tables:
            create_metadata_schema(engine)
            ensure_details_table(client, settings.details_table)
        yield Stores(
            metadata=SqlMetadataStore(engine),
            details=DynamoDetailStore(settings.details_table, client),
            cursor_secret=_cursor_secret(settings),
            description={
                "metadata": engine.url.render_as_string(hide_password=True),
                "details": f"{endpoint} table {settings.details_table}",
            },
            engine=engine,
            dynamodb=client,
        )


def dynamodb_client(settings: Settings, endpoint: str) -> "DynamoDBClient":
    """A client whose every wait is bounded; botocore's standard mode retries throttling."""
    config = Config(
        connect_timeout=settings.dynamodb_connect_timeout_seconds,
        read_timeout=settings.dynamodb_read_timeout_seconds,
        retries={"mode": "standard", "max_attempts": settings.dynamodb_max_attempts},
    )
    options: dict[str, Any] = {"region_name": settings.aws_region, "config": config}
    if endpoint != AWS_DEFAULT:
        options["endpoint_url"] = endpoint
    if settings.embedded:
        # moto checks no credentials; these keep boto3 from searching the machine for real ones.
        options |= {"aws_access_key_id": "embedded", "aws_secret_access_key": "embedded"}
    return boto3.client("dynamodb", **options)


def _start_embedded_dynamodb(cleanup: ExitStack) -> str:
    from persistence.embedded import EmbeddedDynamoDB

    emulator = EmbeddedDynamoDB()
    endpoint = emulator.start()
    cleanup.callback(emulator.stop)
    return endpoint


def with_secret(settings: Settings) -> Settings:
    """Settings completed from the Secrets Manager secret, when one is named: on Lambda the
    password and the cursor key live there, never in a parameter or an environment variable."""
    if settings.database_secret_arn is None:
        return settings
    client = boto3.client("secretsmanager", region_name=settings.aws_region)
    secret = json.loads(
        client.get_secret_value(SecretId=settings.database_secret_arn)["SecretString"]
    )
    url = make_url(settings.database_url).set(
        username=secret["username"],
        password=secret["password"],
        host=secret["host"],
        port=int(secret.get("port", 1433)),
        database=secret.get("dbname", "eventlog"),
    )
    return settings.model_copy(
        update={
            "database_url": url.render_as_string(hide_password=False),
            "cursor_secret": SecretStr(secret["cursorSecret"]),
        }
    )


def _cursor_secret(settings: Settings) -> bytes:
    if settings.cursor_secret is not None:
        return settings.cursor_secret.get_secret_value().encode()
    # Embedded data lives as long as this process, and so may its cursors.
    return secrets.token_bytes(32)
