"""The product as a user starts it: `python -m gateway` (what `make run` runs), embedded stores."""

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.conftest import REMOTE_BASE_URL, closed_port

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


@dataclass
class RunningServer:
    url: str
    banner: list[str]
    process: subprocess.Popen[str]
    stderr: list[str] = field(default_factory=list)

    def stop(self) -> int:
        """Ctrl+C, as a user would; returns the exit code and keeps the log lines."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        _, err = self.process.communicate(timeout=30)
        self.stderr = err.splitlines()
        return self.process.returncode


@dataclass
class RemoteServer:
    """`make test-remote BASE_URL=...`: a server someone else started (its data must be fresh
    for the docs' examples, which record fixed eventIds)."""

    url: str


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


def serve(**variables: str) -> Iterator[RunningServer]:
    port = closed_port()
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("EVENTLOG_", "AWS_"))
    } | variables
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    banner = []
    # The banner is printed once the port is bound: reading it is the wait.
    for line in process.stdout:
        if not line.strip():
            break
        banner.append(line.rstrip())
    server = RunningServer(f"http://127.0.0.1:{port}", banner, process)
    try:
        yield server
    finally:
        server.stop()
