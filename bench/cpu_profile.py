"""Where a request's CPU goes (`make bench-profile`): the API over in-memory store doubles,
called in-process through its ASGI interface (no sockets, no wrk), logging as `make run` logs
(to /dev/null). Per case it prints the CPU time per request, unprofiled, against an anchor run
the same way (bare FastAPI's comparable route, or the REST page for GraphQL), then the functions
with the most CPU time of their own, summed over the event loop's thread and the worker threads
the store calls run in (cProfile, one per thread, each on its thread's CPU clock). Run it before
and after a change.

    python -m bench.cpu_profile [--requests 2000] [--top 15]
        [--case post|post-rich|batch|page|graphql|health]
"""

import argparse
import asyncio
import cProfile
import io
import itertools
import json
import logging
import os
import pstats
import sys
import threading
import time
import uuid
from collections.abc import Callable, MutableMapping
from pathlib import Path
from types import FrameType
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from bench.events import page_view, timestamp
from bench.harness import knob
from bench.servers import bare_app, memory_app
from bench.throughput import FIELDS, PAGE_QUERY
from gateway.middleware.observability import access_logger, configure_logging

ROOT = Path(__file__).resolve().parents[1]
USER = "profile-user"
# Requests before those measured, so that caches are filled (fewer in the smoke run).
WARMUP_REQUESTS = int(knob("BENCH_PROFILE_WARMUP", "50", "5"))
Request = tuple[str, str, bytes]


_events = itertools.count()


def event(user: str = USER) -> dict[str, Any]:
    """A new event of the suite's realistic shape (bench/events.py)."""
    n = next(_events)
    return page_view(str(uuid.uuid4()), user, timestamp(n), n)


def post() -> Request:
    return "POST", "/events", json.dumps(event()).encode()


# About 1.4 KB of compact JSON details: nested objects and lists, numbers in several spellings,
# text with escapes and non-ASCII characters (what the walk of the rules spends its time on).
RICH_DETAILS = {
    "page": "/pricing/enterprise?ref=newsletter",
    "durationMs": 5120,
    "price": 19.90,
    "referrer": "https://example.com/blog/why-event-logs",
    "viewport": {"w": 1280, "h": 720, "dpr": 2},
    "items": [
        {"sku": f"SKU-{n:04d}", "qty": n, "price": round(9.99 + n, 2), "tags": ["a", "b", "sale"]}
        for n in range(14)
    ],
    "flags": {"beta": True, "darkMode": False, "experiment": None},
    "utm": {"source": "newsletter", "medium": "email", "campaign": "spring-2026"},
    "note": 'Ünïcödé text with "quotes" and a newline\n',
}


def rich_post() -> Request:
    return "POST", "/events", json.dumps(event() | {"details": RICH_DETAILS}).encode()


def echo_post() -> Request:
    return "POST", "/events", json.dumps(event()).encode()


def batch() -> Request:
    return "POST", "/events/batch", json.dumps({"events": [event() for _ in range(100)]}).encode()


def page() -> Request:
    return "GET", f"/events/{USER}?limit=20", b""


def graphql() -> Request:
    """The page of 20 as a client pages (bench/throughput.py's query, with details)."""
    query = PAGE_QUERY.format(fields=FIELDS + " details")
    body = {"query": query, "variables": {"userId": USER, "first": 20}}
    return "POST", "/graphql", json.dumps(body).encode()


def health() -> Request:
    return "GET", "/health", b""


Make = Callable[[], Request]
# case: (the API's request, the anchor's request and whether the anchor is bare FastAPI)
CASES: dict[str, tuple[Make, tuple[Make, bool] | None]] = {
    "post": (post, (echo_post, True)),
    "post-rich": (rich_post, None),
    "batch": (batch, None),
    "page": (page, None),
    "graphql": (graphql, (page, False)),
    "health": (health, (health, True)),
}


async def call(app: FastAPI, request: Request) -> int:
    method, target, body = request
    path, _, query = target.partition("?")
    headers = [(b"host", b"127.0.0.1"), (b"content-type", b"application/json")]
    if body:
        headers.append((b"content-length", str(len(body)).encode()))
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    status = 0
    sent = False

    async def receive() -> MutableMapping[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # the client never disconnects
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


class ThreadProfiles:
    """A cProfile for each thread started while armed (threading.setprofile), on that thread's
    CPU clock. Cleared and stopped in their own threads (`clear_here`, `stop_here`): a profile
    still running when its stats are read would close its open frames with the reading
    thread's clock. Disarmed, new threads run unprofiled (the cost figures)."""

    def __init__(self) -> None:
        self._running: dict[int, cProfile.Profile] = {}
        self._stopped: list[cProfile.Profile] = []
        self._lock = threading.Lock()

    def arm(self) -> None:
        threading.setprofile(self._hook)

    def disarm(self) -> None:
        threading.setprofile(None)

    def _hook(self, _frame: FrameType, _event: str, _arg: Any) -> None:
        profile = cProfile.Profile(time.thread_time)
        with self._lock:
            self._running[threading.get_ident()] = profile
        profile.enable()  # replaces this hook in this thread

    def clear_here(self) -> None:
        with self._lock:
            profile = self._running.get(threading.get_ident())
        if profile is not None:
            profile.clear()

    def stop_here(self) -> None:
        with self._lock:
            profile = self._running.pop(threading.get_ident(), None)
        if profile is not None:
            profile.disable()
            with self._lock:
                self._stopped.append(profile)

    def collect(self, main: cProfile.Profile) -> pstats.Stats:
        """The main thread's profile and those stopped since the last collect."""
        with self._lock:
            stopped, self._stopped = self._stopped, []
        return pstats.Stats(main, *stopped, stream=io.StringIO())


async def measure(app: FastAPI, requests: list[Request]) -> tuple[float, set[int]]:
    began = time.process_time()
    statuses = {await call(app, request) for request in requests}
    return (time.process_time() - began) / len(requests), statuses


async def seeded(app: FastAPI) -> None:
    for _ in range(100):
        await call(app, post())


async def cost_of(make: Make, bare: bool, count: int) -> float:
    app = bare_app() if bare else memory_app()
    async with app.router.lifespan_context(app):
        if not bare:
            await seeded(app)
        await measure(app, [make() for _ in range(WARMUP_REQUESTS)])
        cost, statuses = await measure(app, [make() for _ in range(count)])
    check(statuses)
    return cost


async def profiled(make: Make, count: int, threads: ThreadProfiles) -> pstats.Stats:
    """Sequential requests use one worker thread: the one `clear_here` and `stop_here` run in."""
    app = memory_app()
    async with app.router.lifespan_context(app):
        await seeded(app)
        await measure(app, [make() for _ in range(WARMUP_REQUESTS)])  # caches fill
        requests = [make() for _ in range(count)]
        await run_in_threadpool(threads.clear_here)
        main = cProfile.Profile(time.thread_time)
        main.enable()
        statuses = {await call(app, request) for request in requests}
        main.disable()
        await run_in_threadpool(threads.stop_here)
    check(statuses)
    return threads.collect(main)


def check(statuses: set[int]) -> None:
    if len(statuses) != 1 or max(statuses) >= 400:
        raise SystemExit(f"unexpected statuses {sorted(statuses)}")


def table(stats: pstats.Stats, top: int) -> str:
    """pstats' rows by own time, paths shortened to the project or the package."""
    text = io.StringIO()
    stats.stream = text  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(top)
    lines = text.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
    shown = []
    for line in lines[start : start + top + 1]:
        for prefix in sorted({p for p in sys.path if p.startswith("/")}, key=len, reverse=True):
            line = line.replace(prefix + "/", "")
        shown.append(line.replace(str(ROOT) + "/", ""))
    return "\n".join(shown)


def quiet_logging() -> None:
    """The log lines are written, as `make run` writes them, but to /dev/null."""
    configure_logging(os.environ.get("EVENTLOG_LOG_LEVEL", "INFO"))
    sink = open(os.devnull, "w")  # noqa: SIM115 (open for the life of the process)
    for handler in logging.getLogger().handlers + access_logger.handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(sink)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--case", choices=sorted(CASES), action="append")
    args = parser.parse_args()
    quiet_logging()
    threads = ThreadProfiles()
    for name in args.case or list(CASES):
        make, anchor = CASES[name]
        # A new event loop per run: its worker threads are new too, so each run profiles its own.
        cost = asyncio.run(cost_of(make, False, args.requests))
        heading = f"== {name}: {cost * 1e6:,.0f} µs CPU per request"
        if anchor is not None:
            anchor_cost = asyncio.run(cost_of(anchor[0], anchor[1], args.requests))
            named = "bare FastAPI" if anchor[1] else "the REST page"
            heading += f"; {named}: {anchor_cost * 1e6:,.0f} µs, ratio {anchor_cost / cost:.2f}x"
        print(heading)
        threads.arm()
        stats = asyncio.run(profiled(make, args.requests, threads))
        threads.disarm()
        print(table(stats, args.top))
        print()


if __name__ == "__main__":
    main()
