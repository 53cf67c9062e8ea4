"""`make run AUTH=dev` as the video runs it: the product with embedded stores and a dev issuer,
and a shell that calls it with curl the way demo.sh does (every status checked)."""

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from scripts.video.config import ROOT
from scripts.video.terminal import Line

# Fixed, so the cursors the screens show are the same in every build.
CURSOR_SECRET = "demo-video-cursor-secret-of-32-characters"


@dataclass(frozen=True)
class Server:
    url: str
    banner: list[str]

    @property
    def token(self) -> str:
        """user-42's token, from the banner."""
        return next(line.split("export TOKEN=")[1] for line in self.banner if "TOKEN=" in line)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def dev_auth_server() -> Iterator[Server]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("EVENTLOG_")}
    env |= {
        "EVENTLOG_AUTH": "dev",
        "EVENTLOG_CURSOR_SECRET": CURSOR_SECRET,
        "EVENTLOG_LOG_LEVEL": "ERROR",
    }
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    banner = []
    for line in process.stdout:  # printed once the port is bound
        if not line.strip():
            break
        banner.append(line.rstrip())
    try:
        yield Server(f"http://127.0.0.1:{port}", banner)
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)


class Shell:
    """Runs curl command lines with $API and $TOKEN set, shown as typed (as demo.sh's `call`)."""

    def __init__(self, server: Server) -> None:
        self._env = os.environ | {"API": server.url, "TOKEN": server.token}

    def call(self, expected: int, command: str) -> list[Line]:
        result = subprocess.run(
            ["bash", "-c", command + " -s -w '\\n%{http_code}'"],
            env=self._env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        body, _, status = result.stdout.rpartition("\n")
        if status != str(expected):
            raise SystemExit(f"{command}: expected {expected}, got {status}: {body}")
        lines = [Line("blank", ""), Line("command", f"\x1b[36m$ {command}\x1b[0m")]
        if body:
            lines.append(Line("output", body))
        return [*lines, Line("status", f"\x1b[33m→ {status}\x1b[0m")]


def short_token(line: str, token: str) -> str:
    """A banner line with the token cut to its start (the whole token fills the screen)."""
    return line.replace(token, token[:36] + "…")
