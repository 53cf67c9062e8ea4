"""The app over HTTP against real stores: moto's server for DynamoDB, a SQLite file for SQL."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.auth.dev_issuer import LocalIssuer
from gateway.settings import Settings
from tests.api.apps import FlakyDynamoDB, LiveServer
from tests.auth import Clock, authentication, silent_jwks, with_issuer
from tests.remote import REMOTE_BASE_URL


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
    """Runs the app's lifespan: the stores are opened (and tables made) as in production.
    With `make test-remote BASE_URL=...`, a client of that server instead."""
    if REMOTE_BASE_URL:
        with httpx.Client(base_url=REMOTE_BASE_URL, timeout=30) as remote:
            yield remote
        return
    with TestClient(request.getfixturevalue("app"), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def emulator_client(emulator_settings: Settings) -> Iterator[TestClient]:
    """As `client`, once with the details in moto and once in dynalite."""
    with TestClient(create_app(emulator_settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def auth_settings(settings: Settings, issuer: LocalIssuer) -> Settings:
    """The test stores, with bearer tokens required from the tests' issuer."""
    return with_issuer(settings, issuer)


@pytest.fixture
def auth_client(auth_settings: Settings, clock: Clock) -> Iterator[TestClient]:
    """The app with authentication on: tokens are checked against the issuer's JWKS over HTTP."""
    app = create_app(auth_settings, authentication=authentication(auth_settings, clock))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def silent_issuer_client(
    settings: Settings, issuer: LocalIssuer, silent_port: int
) -> Iterator[TestClient]:
    """The app checking tokens against an issuer whose JWKS never answers."""
    app = create_app(with_issuer(settings, issuer, **silent_jwks(silent_port)))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def flaky_dynamodb(moto_endpoint: str) -> Iterator[Any]:
    made: list[FlakyDynamoDB] = []

    def make(failing: set[str]) -> FlakyDynamoDB:
        made.append(FlakyDynamoDB(moto_endpoint, failing))
        return made[-1]

    yield make
    for endpoint in made:
        endpoint.server.shutdown()


@pytest.fixture
def live_url(app: FastAPI) -> Iterator[str]:
    with LiveServer(app) as url:
        yield url


@pytest.fixture
def http(request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
    """A real HTTP client of a real server (uvicorn here, or BASE_URL's)."""
    base_url = REMOTE_BASE_URL or request.getfixturevalue("live_url")
    with httpx.Client(base_url=base_url, timeout=30) as client:
        yield client
