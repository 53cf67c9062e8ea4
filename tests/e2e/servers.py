"""The product as a user starts it: `python -m gateway` in a process of its own."""

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field

from tests.stores import closed_port


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
