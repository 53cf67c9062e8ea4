"""Settings come from EVENTLOG_* variables and refuse combinations that would lose data."""

import pytest
from pydantic import ValidationError

from gateway.settings import Settings

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
