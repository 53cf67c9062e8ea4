"""Configuration from `EVENTLOG_*` environment variables, with defaults that run embedded."""

import re
from functools import lru_cache
from typing import Annotated, Any, Literal, Self

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from persistence.details import DEFAULT_PARALLEL_WRITES
from schema.limits import (
    DEFAULT_BODY_READ_TIMEOUT_SECONDS,
    DEFAULT_MAX_BATCH_BODY_BYTES,
    DEFAULT_MAX_DETAILS_BYTES,
    DEFAULT_MAX_FUTURE_SECONDS,
    DEFAULT_REQUEST_TIMEOUT_SECONDS,
    MAX_BATCH_BODY_BYTES_CEILING,
    MAX_BATCH_EVENTS,
    MAX_DETAILS_BYTES_CEILING,
    MAX_ERASE_EVENTS,
    MAX_FUTURE_SECONDS_CEILING,
    Limits,
)

EMBEDDED = "embedded"
AWS_DEFAULT = "aws"

AuthMode = Literal["jwt", "none", "dev"]
MIN_CURSOR_SECRET_CHARS = 32
# An origin is a scheme and a host (and port): no path, not even a trailing slash.
_ORIGIN = re.compile(r"^https?://[^/\s]+$")


class Settings(BaseSettings):
    # hide_input_in_errors: a refusal names the setting and the rule, never the values given
    # (pydantic's message would show the start and end of every setting, secrets included).
    model_config = SettingsConfigDict(
        env_prefix="EVENTLOG_", env_ignore_empty=True, extra="ignore", hide_input_in_errors=True
    )

    database_url: str = Field(
        EMBEDDED,
        description="SQLAlchemy URL of the metadata store, or `embedded` (a SQLite file in a "
        "temporary folder, removed at exit).",
    )
    database_password: SecretStr | None = Field(
        None,
        description="Password of DATABASE_URL's login, given apart so that any character works "
        "(`@`, `#`, `/` would break a URL); set into the URL as a part, never as text.",
    )
    dynamodb_endpoint: str = Field(
        EMBEDDED,
        description="`embedded` (dynalite in a process of its own, or moto in this one without "
        "Node.js), `aws` (the SDK's endpoint), or a URL "
        "such as DynamoDB Local's.",
    )
    aws_region: str = "us-east-1"
    details_table: str = "eventlog-details"
    create_tables: bool = Field(
        False,
        description="Create the SQL table and DynamoDB table at start-up (always on embedded).",
    )
    sql_connect_timeout_seconds: int = Field(5, ge=1, le=60)
    sql_query_timeout_seconds: int = Field(10, ge=1, le=300)
    sql_pool_size: int = Field(5, ge=1, le=100)
    dynamodb_connect_timeout_seconds: float = Field(2.0, gt=0, le=60)
    dynamodb_read_timeout_seconds: float = Field(5.0, gt=0, le=60)
    dynamodb_max_attempts: int = Field(3, ge=1, le=10)
    max_details_bytes: int = Field(DEFAULT_MAX_DETAILS_BYTES, ge=1024, le=MAX_DETAILS_BYTES_CEILING)
    max_future_seconds: int = Field(DEFAULT_MAX_FUTURE_SECONDS, ge=0, le=MAX_FUTURE_SECONDS_CEILING)
    batch_max_events: int = Field(
        MAX_BATCH_EVENTS, ge=1, le=MAX_BATCH_EVENTS, description="Events one batch may hold."
    )
    batch_max_body_bytes: int = Field(
        DEFAULT_MAX_BATCH_BODY_BYTES,
        ge=64 * 1024,
        le=MAX_BATCH_BODY_BYTES_CEILING,
        description="Bytes the body of `POST /events/batch` (and of `/graphql`) may take.",
    )
    erase_max_events: int = Field(
        MAX_ERASE_EVENTS,
        ge=1,
        le=MAX_ERASE_EVENTS,
        description="Events one `DELETE /events/{userId}` erases at most (the client repeats).",
    )
    dynamodb_parallel_writes: int = Field(
        DEFAULT_PARALLEL_WRITES,
        ge=1,
        le=64,
        description="DynamoDB writes of one batch or erasure in flight at once.",
    )
    reconcile_grace_seconds: int = Field(
        900,
        ge=60,
        le=7 * 24 * 3600,
        description="The reconcile job deletes only orphaned details last claimed longer ago "
        "than this, and finishes erasures left unfinished this long; erasures keep their fences "
        "this long: a write in flight is never touched.",
    )
    reconcile_segments: int = Field(4, ge=1, le=64, description="Parallel Scan segments.")
    reconcile_apply: bool = Field(
        False,
        description="The scheduled reconcile function deletes orphans (else it only reports "
        "them); it finishes abandoned erasures either way.",
    )
    reconcile_queue_url: str | None = Field(
        None,
        description="The SQS queue of delayed claim checks: the stream function queues each "
        "claim's eventId there, and the check function reads it and queues again what is still "
        "in its grace period.",
    )
    sqs_endpoint: str = Field(
        AWS_DEFAULT, description="`aws` (the SDK's endpoint), or a URL such as an emulator's."
    )
    retention_days: int | None = Field(
        None,
        ge=1,
        le=36_500,
        description="Events leave both stores this many days after they were received "
        "(`receivedAt`), removed by the retention job; unset: kept for ever.",
    )
    retry_after_seconds: int = Field(2, ge=1, le=3600)
    request_timeout_seconds: float = Field(
        DEFAULT_REQUEST_TIMEOUT_SECONDS,
        gt=0,
        le=300,
        description="Every store call of a request ends within this time from its arrival "
        "(on Lambda, also before the invocation's own timeout); then the answer is 503.",
    )
    body_read_timeout_seconds: float = Field(
        DEFAULT_BODY_READ_TIMEOUT_SECONDS,
        gt=0,
        le=300,
        description="A request body must arrive within this time; else 408 and the connection "
        "is closed.",
    )
    cursor_secret: SecretStr | None = Field(
        None, description="Signs pagination cursors; at least 32 characters. Random when embedded."
    )
    database_secret_arn: str | None = Field(
        None,
        description="Secrets Manager secret with the SQL Server connection (username, password, "
        "host, port, dbname) and `cursorSecret`; read once at start-up. Replaces DATABASE_URL's "
        "credentials and CURSOR_SECRET.",
    )
    api_base_path: str = Field(
        "/",
        description="Path prefix API Gateway puts before every route (a custom domain's "
        "base path), stripped before routing.",
    )
    log_level: str = "INFO"
    auth: AuthMode | None = Field(
        None,
        description="`jwt`, `none` (open to anyone, with a warning) or `dev` (embedded only: a "
        "local issuer). Unset: `none` when embedded, `jwt` when an issuer is set, else refused.",
    )
    auth_issuer: str | None = Field(None, description="The exact `iss` of accepted tokens.")
    auth_audience: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Accepted audiences, comma-separated, matched against `aud` (or `client_id` "
        "when a token has no `aud`).",
    )
    auth_jwks_url: str | None = Field(None, description="The issuer's JWKS (`jwks_uri`).")
    auth_jwks_timeout_seconds: float = Field(
        3.0,
        gt=0,
        le=30,
        description="The whole fetch of the issuer's JWKS (connecting, the answer, its body) "
        "ends within this, and within the request's deadline.",
    )
    auth_jwks_cache_seconds: int = Field(300, ge=10, le=86_400)
    metrics: Literal["prometheus", "emf", "off"] = Field(
        "prometheus",
        description="Where metrics go: `prometheus` (read at `GET /metrics`), `emf` (CloudWatch "
        "embedded metric format on stdout, one line per request: Lambda) or `off`.",
    )
    metrics_token: SecretStr | None = Field(
        None,
        description="Bearer token `GET /metrics` asks for outside embedded mode (where it is "
        "open); unset: /metrics is not served there.",
    )
    cors_allow_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins whose pages may call the API, comma-separated, or `*`; empty: none.",
    )

    @property
    def embedded(self) -> bool:
        return self.database_url == EMBEDDED

    @property
    def limits(self) -> Limits:
        return Limits(
            max_details_bytes=self.max_details_bytes,
            max_future_seconds=self.max_future_seconds,
            max_batch_events=self.batch_max_events,
            max_batch_body_bytes=self.batch_max_body_bytes,
            max_erase_events=self.erase_max_events,
        )

    @model_validator(mode="after")
    def _refuse_unsafe_combinations(self) -> Self:
        if (self.database_url == EMBEDDED) != (self.dynamodb_endpoint == EMBEDDED):
            raise ValueError(
                "EVENTLOG_DATABASE_URL and EVENTLOG_DYNAMODB_ENDPOINT must both be `embedded` or "
                "neither: the embedded stores are ephemeral, and pairing one with a lasting store "
                "would leave metadata without details (or the reverse) after a restart"
            )
        if not self.embedded and self.cursor_secret is None and self.database_secret_arn is None:
            raise ValueError(
                "EVENTLOG_CURSOR_SECRET is required outside embedded mode: every instance must "
                "sign cursors with the same key"
            )
        secret = self.cursor_secret
        if secret is not None and len(secret.get_secret_value()) < MIN_CURSOR_SECRET_CHARS:
            raise ValueError(
                f"EVENTLOG_CURSOR_SECRET must be at least {MIN_CURSOR_SECRET_CHARS} characters"
            )
        if self.batch_max_body_bytes < self.limits.max_body_bytes:
            raise ValueError(
                "EVENTLOG_BATCH_MAX_BODY_BYTES must be at least the body limit of one event "
                f"({self.limits.max_body_bytes} bytes): a batch of one event must fit"
            )
        if self.reconcile_grace_seconds < self.request_timeout_seconds + 60:
            raise ValueError(
                "EVENTLOG_RECONCILE_GRACE_SECONDS must exceed EVENTLOG_REQUEST_TIMEOUT_SECONDS "
                "by a minute at least: a write still in flight must never lose its details"
            )
        return self

    @field_validator("auth_audience", "cors_allow_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        """A list from a comma-separated variable (what CloudFormation's !Join makes)."""
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("cors_allow_origins")
    @classmethod
    def _origins(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            if origin != "*" and not _ORIGIN.match(origin):
                raise ValueError(
                    f"{origin!r} is not an origin: give scheme://host[:port], with no path and "
                    "no trailing slash (a browser sends http://localhost:3000, never .../)"
                )
        return origins

    @model_validator(mode="after")
    def _fail_closed(self) -> Self:
        """A lasting deployment never runs open by accident: it says how callers authenticate,
        or that they do not (EVENTLOG_AUTH=none)."""
        if self.auth is None:
            if self.auth_issuer is None and not self.embedded:
                raise ValueError(
                    "refusing to start without authentication: set EVENTLOG_AUTH=jwt with "
                    "EVENTLOG_AUTH_ISSUER, EVENTLOG_AUTH_AUDIENCE and EVENTLOG_AUTH_JWKS_URL, or "
                    "EVENTLOG_AUTH=none to let anyone read and write every user's events"
                )
            self.auth = "jwt" if self.auth_issuer is not None else "none"
        if self.auth == "jwt":
            needed = {
                "EVENTLOG_AUTH_ISSUER": self.auth_issuer,
                "EVENTLOG_AUTH_AUDIENCE": self.auth_audience,
                "EVENTLOG_AUTH_JWKS_URL": self.auth_jwks_url,
            }
            missing = [name for name, value in needed.items() if not value]
            if missing:
                raise ValueError(f"EVENTLOG_AUTH=jwt needs {', '.join(missing)}")
            if not str(self.auth_jwks_url).startswith(("https://", "http://")):
                raise ValueError("EVENTLOG_AUTH_JWKS_URL must be an http(s) URL")
        if self.auth == "dev" and not self.embedded:
            raise ValueError(
                "EVENTLOG_AUTH=dev runs only with embedded stores: its issuer gives a token to "
                "anyone who asks"
            )
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()


class SettingsRefused(Exception):
    """The settings break a rule; the message names each rule and variable, and no value."""


def load_settings() -> Settings:
    """`get_settings()` for the entry points: a refusal is SettingsRefused, whose message (and
    traceback) shows none of the values given."""
    try:
        return get_settings()
    except ValidationError as exc:
        raise SettingsRefused(refusal(exc)) from None


def refusal(error: ValidationError) -> str:
    """Why the settings are refused, one line per rule broken: the variable, if one is to
    blame, and the rule, without the values given (the input is hidden from the errors)."""
    reasons = []
    for broken in error.errors(include_url=False, include_context=False, include_input=False):
        message = broken["msg"].removeprefix("Value error, ")
        names = [str(part) for part in broken["loc"]]
        reasons.append(f"EVENTLOG_{names[0].upper()}: {message}" if names else message)
    return "refusing to start: " + "; ".join(reasons)
