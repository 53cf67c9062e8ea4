"""Settings come from EVENTLOG_* variables and refuse combinations that would lose data."""

import logging
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from gateway.app import create_app
from gateway.settings import Settings, refusal

SECRET = "x" * 32


def test_defaults_run_fully_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EVENTLOG_AUTH")
    settings = Settings()
    assert (settings.database_url, settings.dynamodb_endpoint) == ("embedded", "embedded")
    assert settings.embedded
    assert settings.limits.max_details_bytes == 64 * 1024
    assert settings.limits.max_body_bytes == 147_456
    assert settings.auth == "none"


def test_reads_eventlog_variables_and_ignores_empty_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENTLOG_DATABASE_URL", "sqlite:///events.db")
    monkeypatch.setenv("EVENTLOG_DYNAMODB_ENDPOINT", "http://localhost:8001")
    monkeypatch.setenv("EVENTLOG_CURSOR_SECRET", SECRET)
    monkeypatch.setenv("EVENTLOG_MAX_DETAILS_BYTES", "2048")
    monkeypatch.setenv("EVENTLOG_AWS_REGION", "")
    settings = Settings()
    assert settings.dynamodb_endpoint == "http://localhost:8001"
    assert settings.limits.max_details_bytes == 2048
    assert settings.aws_region == "us-east-1"


@pytest.mark.parametrize(
    ("database", "dynamodb"),
    [("embedded", "http://localhost:8001"), ("sqlite:///e.db", "embedded")],
)
def test_refuses_an_embedded_store_paired_with_a_lasting_one(database: str, dynamodb: str) -> None:
    with pytest.raises(ValidationError, match="must both be `embedded` or neither"):
        Settings(database_url=database, dynamodb_endpoint=dynamodb, cursor_secret=SECRET)


def test_requires_a_shared_cursor_secret_outside_embedded_mode() -> None:
    with pytest.raises(ValidationError, match="EVENTLOG_CURSOR_SECRET is required"):
        Settings(database_url="sqlite:///e.db", dynamodb_endpoint="aws")
    with pytest.raises(ValidationError, match="at least 32 characters"):
        Settings(database_url="sqlite:///e.db", dynamodb_endpoint="aws", cursor_secret="short")


@pytest.mark.parametrize("size", [1023, 350 * 1024 + 1])
def test_the_details_limit_is_bounded_by_what_dynamodb_can_hold(size: int) -> None:
    with pytest.raises(ValidationError, match="max_details_bytes"):
        Settings(max_details_bytes=size)
    Settings(max_details_bytes=350 * 1024)


def test_the_future_skew_is_bounded_so_the_calendar_cannot_overflow() -> None:
    with pytest.raises(ValidationError, match="max_future_seconds"):
        Settings(max_future_seconds=366 * 24 * 3600 + 1)
    Settings(max_future_seconds=366 * 24 * 3600)


LASTING: dict[str, Any] = {
    "database_url": "sqlite:///e.db",
    "dynamodb_endpoint": "aws",
    "cursor_secret": SECRET,
}
ISSUER: dict[str, Any] = {
    "auth_issuer": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example",
    "auth_audience": "app-client-id",
    "auth_jwks_url": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example/.well-known/jwks.json",
}


def test_a_lasting_deployment_refuses_to_start_without_authentication(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("EVENTLOG_AUTH")
    with pytest.raises(ValidationError, match="refusing to start without authentication"):
        Settings(**LASTING)
    assert Settings(**LASTING, auth="none").auth == "none"
    assert Settings(**LASTING, **ISSUER).auth == "jwt"
    assert Settings().auth == "none"  # embedded: the one-minute tour stays open


def test_jwt_auth_needs_issuer_audience_and_jwks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENTLOG_AUTH", "jwt")
    with pytest.raises(ValidationError, match="needs EVENTLOG_AUTH_ISSUER, EVENTLOG_AUTH_AUDIENCE"):
        Settings(**LASTING)
    with pytest.raises(ValidationError, match="must be an http"):
        Settings(**LASTING, **ISSUER | {"auth_jwks_url": "file:///etc/keys.json"})


def test_dev_auth_runs_only_embedded() -> None:
    with pytest.raises(ValidationError, match="runs only with embedded stores"):
        Settings(**LASTING, auth="dev")
    assert Settings(auth="dev").auth == "dev"


def test_lists_come_comma_separated_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "EVENTLOG_CORS_ALLOW_ORIGINS", "http://localhost:3000, https://app.example.com"
    )
    monkeypatch.setenv("EVENTLOG_AUTH_AUDIENCE", "web-client,ingest-client")
    settings = Settings()
    assert settings.cors_allow_origins == ["http://localhost:3000", "https://app.example.com"]
    assert settings.auth_audience == ["web-client", "ingest-client"]
    monkeypatch.setenv("EVENTLOG_CORS_ALLOW_ORIGINS", "")
    assert Settings().cors_allow_origins == []


@pytest.mark.parametrize(
    "origin", ["http://localhost:3000/", "localhost:3000", "https://app.example.com/app", "null"]
)
def test_an_origin_with_a_path_or_without_a_scheme_is_refused(origin: str) -> None:
    with pytest.raises(ValidationError, match="is not an origin"):
        Settings(cors_allow_origins=origin)


def test_an_api_open_to_anyone_says_so_in_its_log_unless_it_is_the_embedded_default(
    caplog: pytest.LogCaptureFixture,
) -> None:
    open_api = Settings(
        database_url="sqlite:///unused.db",
        dynamodb_endpoint="http://127.0.0.1:1",
        cursor_secret=SECRET,
        auth="none",
    )
    with caplog.at_level(logging.WARNING, logger="gateway.app"):
        create_app(open_api)
        create_app(Settings())
    assert [record.getMessage() for record in caplog.records] == [
        "authentication is off (EVENTLOG_AUTH=none): anyone who reaches this API may read "
        "and write every user's events"
    ]


# Letters no refusal is written in: six of them in a message can only come from a secret.
SECRET_LETTERS = "αβγδεζηθικλμνξοπρστυφχψω"
SECRETS = st.text(alphabet=SECRET_LETTERS, min_size=6, max_size=80)
NUMBERS = st.integers(-10, 10**7).map(str) | st.text(
    st.characters(codec="ascii", exclude_characters="\x00"), max_size=8
)
OTHER_SETTINGS = {
    "EVENTLOG_SQL_POOL_SIZE": NUMBERS,
    "EVENTLOG_REQUEST_TIMEOUT_SECONDS": NUMBERS,
    "EVENTLOG_RECONCILE_GRACE_SECONDS": NUMBERS,
    "EVENTLOG_MAX_DETAILS_BYTES": NUMBERS,
    "EVENTLOG_BATCH_MAX_BODY_BYTES": NUMBERS,
    "EVENTLOG_CORS_ALLOW_ORIGINS": st.sampled_from(
        ["*", "https://a.example", "https://a.example/"]
    ),
    "EVENTLOG_AUTH_ISSUER": st.just("https://issuer.example"),
    "EVENTLOG_AUTH_AUDIENCE": st.just("eventlog"),
    "EVENTLOG_AUTH_JWKS_URL": st.sampled_from(["https://issuer.example/jwks", "ftp://x"]),
    "EVENTLOG_AUTH": st.sampled_from(["jwt", "none", "dev", "basic"]),
}


@pytest.mark.slow
@settings(max_examples=400)
@given(
    cursor_secret=st.none() | SECRETS,
    database_password=st.none() | SECRETS,
    url_password=st.none() | SECRETS,
    database=st.sampled_from(["embedded", "mssql", "sqlite"]),
    dynamodb=st.sampled_from(["embedded", "aws", "http://localhost:8001"]),
    others=st.fixed_dictionaries({}, optional=OTHER_SETTINGS),
    data=st.data(),
)
def test_no_refusal_shows_any_six_characters_of_a_secret(
    cursor_secret: str | None,
    database_password: str | None,
    url_password: str | None,
    database: str,
    dynamodb: str,
    others: dict[str, str],
    data: st.DataObject,
) -> None:
    urls = {
        "embedded": "embedded",
        "mssql": f"mssql+pyodbc://app:{url_password or ''}@db/eventlog?driver=FreeTDS",
        "sqlite": "sqlite:///events.db",
    }
    variables = {
        "EVENTLOG_DATABASE_URL": urls[database],
        "EVENTLOG_DYNAMODB_ENDPOINT": dynamodb,
        "EVENTLOG_CURSOR_SECRET": cursor_secret,
        "EVENTLOG_DATABASE_PASSWORD": database_password,
        **others,
    }
    # Set in any order: pydantic's message shows the start and the end of what it was given.
    order = data.draw(st.permutations(list(variables)), label="order")
    with pytest.MonkeyPatch.context() as environment:
        environment.delenv("EVENTLOG_AUTH")
        for name in order:
            value = variables[name]
            if value is not None:
                environment.setenv(name, value)
        try:
            Settings()
        except ValidationError as error:
            told = [str(error), repr(error), refusal(error)]
        else:
            return
    assert told[2].startswith("refusing to start: ")
    for secret in (cursor_secret, database_password, url_password):
        windows = {(secret or "")[start : start + 6] for start in range(len(secret or "") - 5)}
        assert not any(window in text for window in windows for text in told), told
