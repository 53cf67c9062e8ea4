"""Building the stores from settings, and tearing them down: the one place that wires I/O."""

import json
import logging
import secrets
import tempfile
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import SecretStr
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from gateway.settings import AWS_DEFAULT, MIN_CURSOR_SECRET_CHARS, Settings
from gateway.workers import WORKER_THREADS
from persistence.aws import aws_client
from persistence.deadline import budget
from persistence.details import DynamoDetailStore, ensure_details_table
from persistence.metadata import SqlMetadataStore, create_metadata_schema
from persistence.sql_engine import Logins, build_engine
from persistence.telemetry import NO_TELEMETRY, Telemetry
from schema.errors import StoreUnavailable

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
def open_stores(
    settings: Settings, logins: Logins | None = None, *, telemetry: Telemetry = NO_TELEMETRY
) -> Iterator[Stores]:
    """The stores of `settings` (with the secret already read, `with_secret`); `logins`, when
    given, is the SQL login new connections use, read again when SQL Server refuses it. Each
    call to the stores is measured by `telemetry`."""
    with ExitStack() as cleanup:
        database_url, endpoint = settings.database_url, settings.dynamodb_endpoint
        emulator = ""
        if settings.embedded:
            folder = cleanup.enter_context(tempfile.TemporaryDirectory(prefix="eventlog-"))
            database_url = f"sqlite:///{Path(folder) / 'events.db'}"
            endpoint, emulator = _start_embedded_dynamodb(cleanup)
        engine = build_engine(
            database_url if settings.embedded else sql_url(settings),
            connect_timeout_seconds=settings.sql_connect_timeout_seconds,
            query_timeout_seconds=settings.sql_query_timeout_seconds,
            pool_size=settings.sql_pool_size,
            pool_timeout_seconds=settings.sql_connect_timeout_seconds,
            logins=None if settings.embedded else logins,
            telemetry=telemetry,
        )
        cleanup.callback(engine.dispose)
        client = dynamodb_client(settings, endpoint)
        if settings.embedded or settings.create_tables:
            create_metadata_schema(engine)
            ensure_details_table(client, settings.details_table)
        details = DynamoDetailStore(
            settings.details_table,
            client,
            max_attempts=settings.dynamodb_max_attempts,
            parallel_writes=settings.dynamodb_parallel_writes,
            telemetry=telemetry,
        )
        cleanup.callback(details.close)
        yield Stores(
            metadata=SqlMetadataStore(engine, telemetry),
            details=details,
            cursor_secret=_cursor_secret(settings),
            description={
                "metadata": engine.url.render_as_string(hide_password=True),
                "details": f"{endpoint} table {settings.details_table}"
                + (f" ({emulator})" if emulator else ""),
            },
            engine=engine,
            dynamodb=client,
        )


def dynamodb_client(settings: Settings, endpoint: str) -> "DynamoDBClient":
    """A client whose every wait is bounded. By itself it makes one attempt per call: the
    details store asks for more, within the request's deadline. It keeps a connection for every
    thread that may call it at once (the workers, and the details store's own writers and
    withdrawers of batches), so none is opened and discarded under load."""
    config = Config(
        connect_timeout=settings.dynamodb_connect_timeout_seconds,
        read_timeout=settings.dynamodb_read_timeout_seconds,
        retries={"mode": "standard", "max_attempts": 1},
        max_pool_connections=WORKER_THREADS + 2 * settings.dynamodb_parallel_writes,
        # Every item is built from a document schema/details.py has already checked; botocore's
        # own check walks it again (about 70 µs per write of a 0.6 KB document), and DynamoDB
        # checks each request regardless.
        parameter_validation=False,
    )
    options: dict[str, Any] = {"region_name": settings.aws_region, "config": config}
    if endpoint != AWS_DEFAULT:
        options["endpoint_url"] = endpoint
    if settings.embedded:
        # moto checks no credentials; these keep botocore from searching the machine for real ones.
        options |= {"aws_access_key_id": "embedded", "aws_secret_access_key": "embedded"}
    return cast("DynamoDBClient", aws_client("dynamodb", **options))


def _start_embedded_dynamodb(cleanup: ExitStack) -> tuple[str, str]:
    from persistence.embedded import start_embedded_dynamodb

    endpoint, name, stop = start_embedded_dynamodb()
    cleanup.callback(stop)
    return endpoint, name


def sql_url(settings: Settings) -> URL:
    """DATABASE_URL with DATABASE_PASSWORD set as a part, never spliced into the text: a
    password such as `P@ssw0rd#2026` would otherwise be read as part of the host."""
    url = make_url(settings.database_url)
    if settings.database_password is None:
        return url
    return url.set(password=settings.database_password.get_secret_value())


# Secrets Manager is read before anything else can answer: a silent endpoint must fail in
# seconds (2 attempts of 1 + 2 s), not botocore's default 3 x 60 s, far past Lambda's 10 s init.
# (`total_max_attempts` counts the first try; botocore's `max_attempts` would not.)
SECRET_CLIENT_CONFIG = Config(
    connect_timeout=1, read_timeout=2, retries={"mode": "standard", "total_max_attempts": 2}
)


def with_secret(settings: Settings, config: Config = SECRET_CLIENT_CONFIG) -> Settings:
    """Settings completed from the Secrets Manager secret, when one is named: on Lambda the
    password and the cursor key live there, never in a parameter or an environment variable.
    The URL is built from the secret's parts; the password stays a part of its own."""
    if settings.database_secret_arn is None:
        return settings
    # Its stubs are not among the project's type packages.
    client: Any = aws_client("secretsmanager", region_name=settings.aws_region, config=config)
    secret = _secret_members(
        client.get_secret_value(SecretId=settings.database_secret_arn)["SecretString"]
    )
    configured = make_url(settings.database_url)
    url = URL.create(
        configured.drivername,
        username=secret["username"],
        host=secret["host"],
        port=int(secret.get("port", 1433)),
        database=secret.get("dbname", "eventlog"),
        query=configured.query,
    )
    return settings.model_copy(
        update={
            "database_url": url.render_as_string(),
            "database_password": SecretStr(secret["password"]),
            "cursor_secret": SecretStr(secret["cursorSecret"]),
        }
    )


def secret_logins(settings: Settings, resolved: Settings) -> Logins | None:
    """The SQL login of `resolved` (`settings` with the secret read), read again from the secret
    when SQL Server refuses it: after a rotation, new connections log in with the new password
    (or user) at once. The read again is one attempt, each wait bounded by what is left of the
    request's deadline. Without a secret there is nothing to read again; the embedded stores
    have no login."""
    if settings.embedded:
        return None

    def reread() -> URL:
        bounded = Config(
            connect_timeout=budget(1),
            read_timeout=budget(2),
            retries={"mode": "standard", "total_max_attempts": 1},
        )
        return sql_url(with_secret(settings, bounded))

    return Logins(sql_url(resolved), reread if settings.database_secret_arn else None)


class MalformedSecret(ValueError):
    """The database secret lacks what the API needs. The message names the member, never a
    value: anything read from the secret is the secret's."""


def _secret_members(text: str) -> dict[str, Any]:
    """The secret's members, each of the type the API needs (else MalformedSecret). Checked
    here, not left to fail later: a later failure's message could quote a value."""
    try:
        members = json.loads(text)
    except (ValueError, RecursionError):
        members = None
    if not isinstance(members, dict):
        raise MalformedSecret("the database secret is not a JSON object")
    for name in ("username", "password", "host", "cursorSecret"):
        if not isinstance(members.get(name), str) or not members[name]:
            raise MalformedSecret(f"the database secret has no `{name}` (a string)")
    if not isinstance(members.get("dbname", ""), str):
        raise MalformedSecret("the database secret's `dbname` is not a string")
    port = members.get("port", 1433)
    if isinstance(port, str) and port.isdecimal() and port.isascii():
        port = int(port)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise MalformedSecret("the database secret's `port` is not a port number")
    if len(members["cursorSecret"]) < MIN_CURSOR_SECRET_CHARS:
        raise MalformedSecret(
            f"the database secret's `cursorSecret` must be at least {MIN_CURSOR_SECRET_CHARS} "
            "characters"
        )
    return {**members, "port": port}


class StoresOnDemand:
    """The stores of a long-lived process that must answer even when they cannot be opened
    (the Lambda container): opened by the first caller, kept, and closed by `close`.

    When opening fails (the secret unreachable, a table missing), that caller gets
    StoreUnavailable (a 503 with Retry-After) and the next one tries again: an init crash
    would instead be repeated by Lambda for every request, each after the full init time.
    """

    def __init__(self, settings: Settings, telemetry: Telemetry = NO_TELEMETRY) -> None:
        self._settings = settings
        self.telemetry = telemetry
        self._lock = threading.Lock()
        self._resources = ExitStack()
        self._stores: Stores | None = None
        self._logins: Logins | None = None

    def __call__(self) -> Stores:
        with self._lock:
            if self._stores is None:
                self._stores = self._open()
            return self._stores

    def _open(self) -> Stores:
        try:
            settings = with_secret(self._settings)
        except MalformedSecret as exc:
            logger.error("cannot read the database secret: %s", exc)
            raise StoreUnavailable("metadata") from exc
        except (BotoCoreError, ClientError, LookupError, ValueError) as exc:
            logger.error("cannot read the database secret: %s", type(exc).__name__)
            raise StoreUnavailable("metadata") from exc
        self._logins = secret_logins(self._settings, settings)
        try:
            return self._resources.enter_context(
                open_stores(settings, self._logins, telemetry=self.telemetry)
            )
        except SQLAlchemyError as exc:
            logger.error("cannot open the metadata store: %s", type(exc).__name__)
            raise StoreUnavailable("metadata") from exc
        except (BotoCoreError, ClientError) as exc:
            logger.error("cannot open the details store: %s", type(exc).__name__)
            raise StoreUnavailable("details") from exc

    def warm(self) -> None:
        """Open the stores and log in to SQL Server now (the Lambda init, with its full CPU),
        so the first request finds a pooled connection. Failures are logged; the first
        request tries again."""
        with suppress(StoreUnavailable):
            self().metadata.ping()

    def after_restore(self) -> None:
        """After a SnapStart restore: pooled SQL connections are sockets of another machine's
        past. Forget them without closing (closing would talk over dead sockets); the pool
        opens fresh ones on demand. The SQL login is read again from the secret: the snapshot
        may be older than the last rotation."""
        with self._lock:
            if self._stores is not None:
                self._stores.engine.dispose(close=False)
            if self._logins is not None:
                self._logins.renewed()

    def close(self) -> None:
        with self._lock:
            self._stores = None
            self._resources.close()


def _cursor_secret(settings: Settings) -> bytes:
    if settings.cursor_secret is not None:
        return settings.cursor_secret.get_secret_value().encode()
    # Embedded data lives as long as this process, and so may its cursors.
    return secrets.token_bytes(32)
