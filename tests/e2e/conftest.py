"""The product as a user starts it: `python -m gateway` (what `make run` runs), embedded stores."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.e2e.servers import RemoteServer, RunningServer, serve
from tests.remote import REMOTE_BASE_URL

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, driven by playwright."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def embedded_server() -> Iterator[RunningServer | RemoteServer]:
    """`make run`: embedded stores, open to anyone (or the server of `make test-remote`)."""
    if REMOTE_BASE_URL:
        yield RemoteServer(REMOTE_BASE_URL)
        return
    yield from serve()


@pytest.fixture
def dev_auth_server() -> Iterator[RunningServer]:
    """`make run AUTH=dev`: embedded stores, tokens from a local issuer checked."""
    yield from serve(EVENTLOG_AUTH="dev")
