"""What every benchmark shares: servers in their own processes on free loopback ports, dynalite,
and wrk (Debian's, on 127.0.0.1 only) with its figures read back.

Timings on a shared 2-core machine are noisy: each case runs for several rounds, alternating
with its anchor, and what is reported is the median of each and their ratio in the same run.
"""

import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from persistence.embedded import Dynalite

ROOT = Path(__file__).resolve().parents[1]
# BENCH_DURATION=1s BENCH_ROUNDS=1: the smoke run of `make test`.
DURATION = os.environ.get("BENCH_DURATION", "5s")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))


@dataclass(frozen=True)
class Figures:
    """One wrk run: requests per second, latency percentiles, and what went wrong."""

    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx/3xx answers and socket errors (connect, read, write)
    timeouts: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def quiet_env(**extra: str) -> dict[str, str]:
    """The environment of a served process: none of ours, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVENTLOG_")}
    return env | {"EVENTLOG_AUTH": "none", **extra}


@contextmanager
def server(command: Sequence[str], **env: str) -> Iterator[str]:
    """Run `command` (given `--port`), wait until it answers /health, yield its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=quiet_env(**env),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def bench_server(kind: str, **env: str) -> AbstractContextManager[str]:
    """One of bench/servers.py's."""
    return server([sys.executable, "-m", "bench.servers", kind], **env)


def embedded_server(**env: str) -> AbstractContextManager[str]:
    """`make run`'s server."""
    return server([sys.executable, "-m", "gateway"], **env)


def wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{base}: the server exited ({process.returncode})")
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=2):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    raise RuntimeError(f"{base} did not answer within 60 s")


@contextmanager
def dynalite() -> Iterator[str]:
    """dynalite (npm), in memory, on a free port: an independent DynamoDB implementation."""
    if not Dynalite.available():
        sys.exit("dynalite is not installed: make dynalite")
    process = Dynalite()
    try:
        yield process.start()
    finally:
        process.stop()


def dynalite_env(endpoint: str) -> dict[str, str]:
    """A served process's settings for dynalite (which takes any credentials)."""
    return {
        "EVENTLOG_DYNAMODB_ENDPOINT": endpoint,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
    }


def post_json(url: str, body: object, headers: dict[str, str] | None = None) -> object:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json", **(headers or {})}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def wrk(
    url: str,
    *,
    script: str | None = None,
    connections: int = CONNECTIONS,
    duration: str = DURATION,
) -> Figures:
    """wrk -t2 against `url`, with a Lua `script` making the requests if given."""
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: sudo apt-get install wrk")
    with tempfile.TemporaryDirectory() as folder:
        options: list[str] = []
        if script is not None:
            path = Path(folder) / "request.lua"
            path.write_text(script)
            options = ["-s", str(path)]
        done = subprocess.run(
            # --timeout: a request still waiting after 10 s counts as a timeout (wrk's 2 s would
            # count a batch queued behind 15 others).
            [
                "wrk",
                "-t2",
                f"-c{connections}",
                f"-d{duration}",
                "--timeout",
                "10s",
                "--latency",
                *options,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    return parse_wrk(done.stdout)


def parse_wrk(out: str) -> Figures:
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    counts = [int(n) for n in socket_errors.groups()] if socket_errors else [0, 0, 0, 0]
    connect, read, write, timeouts = counts
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Figures(
        rps=float(_figure(r"Requests/sec:\s+([\d.]+)", out)),
        p50_ms=_milliseconds(_figure(r"^\s+50%\s+(\S+)", out)),
        p99_ms=_milliseconds(_figure(r"^\s+99%\s+(\S+)", out)),
        errors=connect + read + write + (int(non_2xx[1]) if non_2xx else 0),
        timeouts=timeouts,
    )


def _figure(pattern: str, text: str) -> str:
    found = re.search(pattern, text, re.M)
    if found is None:
        raise RuntimeError(f"wrk printed no {pattern!r}:\n{text}")
    return found[1]


def _milliseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


@dataclass(frozen=True)
class Summary:
    """Rounds of one case: the median and the spread of each figure."""

    rounds: list[Figures]

    @property
    def rps(self) -> float:
        return statistics.median(f.rps for f in self.rounds)

    @property
    def p50_ms(self) -> float:
        return statistics.median(f.p50_ms for f in self.rounds)

    @property
    def p99_ms(self) -> float:
        return statistics.median(f.p99_ms for f in self.rounds)

    @property
    def spread(self) -> str:
        low, high = min(f.rps for f in self.rounds), max(f.rps for f in self.rounds)
        return f"{low:,.0f}-{high:,.0f}"

    @property
    def errors(self) -> int:
        return sum(f.errors for f in self.rounds)

    @property
    def timeouts(self) -> int:
        return sum(f.timeouts for f in self.rounds)

    @property
    def figure(self) -> str:
        return (
            f"{self.rps:,.0f} req/s ({self.spread}); p50 {self.p50_ms:.1f} / p99 "
            f"{self.p99_ms:.1f} ms; {self.errors} errors, {self.timeouts} timeouts"
        )


def line(
    case: str, figure: str, anchor: str = "", ratio: float | None = None, target: str = ""
) -> str:
    """One row of the suite's table."""
    shown = "" if ratio is None else f"{ratio:.2f}x"
    return f"| {case} | {figure} | {anchor} | {shown} | {target} |"


# wrk's Lua for new events: `event()` makes one with an eventId unique per thread and request
# (thread number, then a counter), as a client that may retry sends it.
NEW_EVENTS_LUA = """
local counter = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("prefix", string.format("%08x", threads))
end
local function event()
  counter = counter + 1
  return '{"eventId": "' .. prefix .. string.format("-%04x-4000-8000-%012x", counter % 65536,
    counter) .. '", "userId": "bench-' .. (counter % 1000) ..
    '", "eventType": "click", "details": {"button": "buy", "n": ' .. counter .. '}}'
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
"""


def posting_new_events(path: str) -> str:
    """wrk's script for one new event per request to `path`."""
    return (
        NEW_EVENTS_LUA
        + f"""
function request()
  return wrk.format(nil, "{path}", nil, event())
end
"""
    )


TABLE_HEAD = "| case | figure | anchor | ratio | target |\n|---|---|---|---|---|"
