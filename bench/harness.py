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

from bench.events import numbered
from persistence.embedded import Dynalite

ROOT = Path(__file__).resolve().parents[1]
# BENCH_SMOKE=1: the smoke run of `make test` (tests/e2e/test_bench_smoke.py), seconds long.
# Every case runs and prints its row with its verdict, and every answer is checked, but each wrk
# run uses one connection and ends after SMOKE_ANSWERS answers (its duration is only a cap),
# once, and the in-process cases run at their smallest: its figures say nothing of speed.
SMOKE = os.environ.get("BENCH_SMOKE", "") == "1"
SMOKE_ANSWERS = 20


def knob(name: str, default: str, smoke: str) -> str:
    """The setting `name` from the environment, else its default for `make bench` or for the
    smoke run."""
    return os.environ.get(name, smoke if SMOKE else default)


DURATION = knob("BENCH_DURATION", "5s", "10s")
ROUNDS = int(knob("BENCH_ROUNDS", "3", "1"))
CONNECTIONS = int(knob("BENCH_CONNECTIONS", "32", "1"))
# A short run before a case's rounds (the first requests open connections, build caches).
WARMUP = knob("BENCH_WARMUP", "1s", "10s")


class BenchmarkInvalid(RuntimeError):
    """A case whose answers were not all what it claims to measure (a write that did not
    create, an error): its figure would measure something else, so the suite stops."""


@dataclass(frozen=True)
class Figures:
    """One wrk run: requests per second, latency percentiles, and the answers it checked."""

    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # socket errors (connect, read, write)
    timeouts: int
    answers: int  # answers received, every one with the expected status (and body)


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
        # Refused, reset, or timed out (TimeoutError) while the server starts.
        except OSError:
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
    script: str,
    connections: int = CONNECTIONS,
    duration: str = DURATION,
    warming: bool = False,
) -> Figures:
    """wrk -t2 (-t1 on one connection) against `url`, the requests made and their answers
    checked by `script` (one of bench/events.py's), once the servers are idle (`settle`)."""
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: sudo apt-get install wrk")
    settle()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "request.lua"
        path.write_text(numbered(script) + (stop_after(SMOKE_ANSWERS) if SMOKE else ""))
        done = subprocess.run(
            # --timeout: a request still waiting after 10 s counts as a timeout (wrk's 2 s would
            # count a batch queued behind 15 others).
            [
                "wrk",
                f"-t{min(2, connections)}",
                f"-c{connections}",
                f"-d{duration}",
                "--timeout",
                "10s",
                "--latency",
                "-s",
                str(path),
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    return parse_wrk(done.stdout, url, warming=warming)


def parse_wrk(out: str, url: str = "", *, warming: bool = False) -> Figures:
    """wrk's figures, after checking every answer the script counted (else BenchmarkInvalid).
    A warm-up run may end before its first answer (a first request building what later ones
    reuse, on a loaded machine)."""
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    counts = [int(n) for n in socket_errors.groups()] if socket_errors else [0, 0, 0, 0]
    connect, read, write, timeouts = counts
    statuses = {int(code): int(n) for code, n in re.findall(r"^STATUS (\d+) (\d+)$", out, re.M)}
    expected = re.search(r"^EXPECTED (\d+) ([01])$", out, re.M)
    if expected is None:
        raise BenchmarkInvalid(f"{url}: the script checked no answers:\n{out}")
    status, with_body = int(expected[1]), expected[2] == "1"
    answers = sum(statuses.values())
    matched = int(_figure(r"^MATCHED (\d+)$", out))
    wrong = {code: n for code, n in statuses.items() if code != status}
    if (not answers and not warming) or wrong or (with_body and matched != answers):
        raise BenchmarkInvalid(
            f"{url}: expected every answer {status}"
            + (" with the expected body" if with_body else "")
            + f"; got {statuses or 'none'} ({matched} bodies as expected)"
        )
    return Figures(
        rps=float(_figure(r"Requests/sec:\s+([\d.]+)", out)),
        p50_ms=_milliseconds(_figure(r"^\s+50%\s+(\S+)", out)),
        p99_ms=_milliseconds(_figure(r"^\s+99%\s+(\S+)", out)),
        errors=connect + read + write,
        timeouts=timeouts,
        answers=answers,
    )


def warm_up(url: str, script: str) -> None:
    """WARMUP of `script` against `url`, its figures dropped (its answers still checked)."""
    wrk(url, script=script, connections=min(2, CONNECTIONS), duration=WARMUP, warming=True)


def stop_after(answers: int) -> str:
    """wrk's Lua, appended to a script whose `response` counts and checks each answer: each
    thread stops after `answers` of them and interrupts wrk, which then prints its figures and
    runs `done` as at the end of its duration. wrk's main thread sleeps through the duration
    unless a SIGINT wakes it, and one that comes before that sleep begins (fast answers) is
    lost, so a shell in the background sends SIGINT every 50 ms until wrk is gone. It starts
    through `io.popen`, not `os.execute` (C's `system`, which ignores SIGINT in wrk while its
    command runs), its output away from wrk's, which the harness reads to the end."""
    return f"""
local checked_response = response or function() end
local answered = 0
function response(status, headers, body)
  checked_response(status, headers, body)
  answered = answered + 1
  if answered == {answers} then
    wrk.thread:stop()
    io.popen("(while kill -INT $PPID; do sleep 0.05; done) </dev/null >/dev/null 2>&1 &"):close()
  end
end
"""


def settle(limit_seconds: float = 30.0) -> None:
    """Wait until every process this one started (servers, dynalite) is idle: wrk abandons
    the requests in flight when it stops, the server still works on them, and the next case
    would pay for them. Idle is under 5% of a core over a quarter of a second."""
    quiet_ticks = max(1, os.sysconf("SC_CLK_TCK") // 80)
    ends = time.monotonic() + limit_seconds
    before = _children_cpu_ticks()
    while time.monotonic() < ends:
        time.sleep(0.25)
        now = _children_cpu_ticks()
        if now - before <= quiet_ticks:
            return
        before = now


def _children_cpu_ticks() -> int:
    """CPU ticks (user + system) used so far by this process's descendants."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # gone meanwhile
            continue
        fields = text[text.rindex(")") + 2 :].split()
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        ticks[pid] = int(fields[11]) + int(fields[12])
    ours = {os.getpid()}
    grew = True
    while grew:
        found = {pid for pid, parent in parents.items() if parent in ours} - ours
        grew = bool(found)
        ours |= found
    ours.discard(os.getpid())
    return sum(ticks[pid] for pid in ours)


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
    def answers(self) -> int:
        return sum(f.answers for f in self.rounds)

    @property
    def figure(self) -> str:
        return (
            f"{self.rps:,.0f} req/s ({self.spread}); p50 {self.p50_ms:.1f} / p99 "
            f"{self.p99_ms:.1f} ms; {self.answers:,} answers checked, {self.errors} socket "
            f"errors, {self.timeouts} timeouts"
        )


@dataclass(frozen=True)
class Target:
    """What a ratio must reach (`at_least`) or stay under (`at_most`)."""

    value: float
    at_most: bool = False

    def __str__(self) -> str:
        return f"{'<=' if self.at_most else '>='} {self.value:g}x"

    def met(self, ratio: float) -> bool:
        return ratio <= self.value if self.at_most else ratio >= self.value


def line(
    case: str,
    figure: str,
    anchor: str = "",
    ratio: float | None = None,
    target: Target | None = None,
    *,
    also: tuple[str, bool] | None = None,
    judged: str | None = None,
) -> str:
    """One row of the suite's table. `also` is what else the target asks, and whether it held
    (no socket errors, say); the verdict needs both, unless `judged` gives it (a target judged
    by an interval may be neither met nor missed: unresolved)."""
    shown = "" if ratio is None else f"{ratio:.2f}x"
    wanted = [str(target)] if target is not None else []
    held = [target.met(ratio)] if target is not None and ratio is not None else []
    if also is not None:
        wanted.append(also[0])
        held.append(also[1])
    verdict = "" if not held else "met" if all(held) else "**not met**"
    if judged is not None:
        verdict = "**not met**" if judged == "not met" else judged
    return f"| {case} | {figure} | {anchor} | {shown} | {', '.join(wanted)} | {verdict} |"


def clean(*summaries: Summary) -> tuple[str, bool]:
    """`line`'s `also` for cases that must run without socket errors or timeouts."""
    return "0 errors, 0 timeouts", all(s.errors == 0 and s.timeouts == 0 for s in summaries)


TABLE_HEAD = "| case | figure | anchor | ratio | target | verdict |\n|---|---|---|---|---|---|"
