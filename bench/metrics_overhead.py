"""What metrics cost the API (`make bench-metrics`, and rows of `make bench`): CPU time per
request with EVENTLOG_METRICS=prometheus against the same app with metrics off, in one run.

Each case runs in this process through the app's ASGI interface (no sockets, no wrk: the CPU
clock of this process counts the app, its worker threads and the store clients, not a load
generator), on in-memory store doubles (the request middleware and the resolver's counters) and
on a SQLite file with dynalite (the store calls' own measurement too: SQLAlchemy's and
botocore's events; half the pairs from apps made in one order, half in the other). On and off
alternate chunk by chunk (100 requests; 25 with stores), and the median chunk of each is
compared; the budget is 5%.

    python -m bench.metrics_overhead [--chunk 20] [--chunks 150]
"""

import argparse
import asyncio
import json
import os
import random
import secrets
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import ExitStack, asynccontextmanager
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI

from bench.cpu_profile import Request, batch, call, event, page, quiet_logging
from bench.harness import dynalite, knob, line
from bench.servers import memory_app
from gateway.app import create_app
from gateway.settings import Settings
from gateway.stores import open_stores
from gateway.telemetry import telemetry_for

Mode = Literal["prometheus", "off"]
BUDGET = 0.05
# Events of the page's user each app holds before it is measured (a page of 20 needs 20).
SEEDED = int(knob("BENCH_METRICS_SEEDED", "100", "20"))
# Resamples of the pairs' ratios for the interval of their median, and its confidence.
BOOTSTRAP_RESAMPLES = 2000
CONFIDENCE = 0.95


def post() -> Request:
    """A new event of one of 1,000 users: the page's user's history does not grow."""
    return "POST", "/events", json.dumps(event(f"writer-{secrets.randbelow(1000)}")).encode()


CASES: dict[str, Callable[[], Request]] = {"POST /events": post, "page of 20": page}
DOUBLES_CASES: dict[str, Callable[[], Request]] = {**CASES, "batch of 100": batch}


@asynccontextmanager
async def stores_app(mode: Mode, folder: Path, endpoint: str) -> AsyncIterator[FastAPI]:
    settings = Settings(
        auth="none",
        metrics=mode,
        database_url=f"sqlite:///{folder / f'{mode}.db'}",
        dynamodb_endpoint=endpoint,
        details_table=f"bench-{mode}-{secrets.token_hex(4)}",
        create_tables=True,
        cursor_secret=secrets.token_hex(32),
    )
    telemetry = telemetry_for(settings)
    with open_stores(settings, telemetry=telemetry) as stores:
        yield create_app(settings, stores, telemetry=telemetry)


async def cpu_per_request(app: FastAPI, make: Callable[[], Request], count: int) -> float:
    requests = [make() for _ in range(count)]
    began = time.process_time()
    statuses = {await call(app, request) for request in requests}
    spent = time.process_time() - began
    if max(statuses) >= 400:
        raise SystemExit(f"unexpected statuses {sorted(statuses)}")
    return spent / count


async def seeded(app: FastAPI) -> None:
    for _ in range(SEEDED):
        await call(app, event_of_page_user())


def event_of_page_user() -> Request:
    return "POST", "/events", json.dumps(event()).encode()


async def compare(
    apps: dict[Mode, Any], cases: dict[str, Callable[[], Request]], chunk: int, chunks: int
) -> dict[str, dict[Mode, list[float]]]:
    """Per case, each mode's CPU per request in each chunk of `chunk` requests, on and off
    alternating chunk by chunk (so the machine's load falls on both alike)."""
    figures: dict[str, dict[Mode, list[float]]] = {
        name: {"prometheus": [], "off": []} for name in cases
    }
    for app in apps.values():
        await seeded(app)
    for name, make in cases.items():
        for app in apps.values():
            await cpu_per_request(app, make, chunk)  # caches and pools warm
        for index in range(chunks):
            order: list[Mode] = ["prometheus", "off"] if index % 2 == 0 else ["off", "prometheus"]
            for mode in order:
                figures[name][mode].append(await cpu_per_request(apps[mode], make, chunk))
    return figures


def median_interval(ratios: list[float], seed: int = 22) -> tuple[float, float, float]:
    """The median of the pairs' ratios and its bootstrap interval (percentile method)."""
    draw = random.Random(seed)
    medians = sorted(
        statistics.median(draw.choices(ratios, k=len(ratios))) for _ in range(BOOTSTRAP_RESAMPLES)
    )
    tail = (1 - CONFIDENCE) / 2
    low = medians[int(tail * BOOTSTRAP_RESAMPLES)]
    high = medians[min(int((1 - tail) * BOOTSTRAP_RESAMPLES), BOOTSTRAP_RESAMPLES - 1)]
    return statistics.median(ratios), low, high


def verdict(low: float, high: float) -> str:
    """Against the budget: the interval wholly within it, wholly above it, or across it."""
    if high - 1 <= BUDGET:
        return "met"
    if low - 1 > BUDGET:
        return "not met"
    return "unresolved"


def ratio_row(
    name: str, by_mode: dict[Mode, list[float]], off_name: str, *, judged: bool = True
) -> str:
    ratios = [on / off for on, off in zip(by_mode["prometheus"], by_mode["off"], strict=True)]
    median, low, high = median_interval(ratios)
    on, off = (statistics.median(by_mode[mode]) for mode in ("prometheus", "off"))
    return line(
        name,
        f"{on * 1e6:,.0f} µs CPU per request ({median - 1:+.1%}, "
        f"{CONFIDENCE:.0%} interval {low - 1:+.1%}..{high - 1:+.1%}, {len(ratios)} pairs)",
        f"{off_name}: {off * 1e6:,.0f} µs",
        1 / median,
        also=(f"within {BUDGET:.0%}, the whole interval", high - 1 <= BUDGET) if judged else None,
        judged=verdict(low, high) if judged else None,
    )


def rows(where: str, figures: dict[str, dict[Mode, list[float]]]) -> list[str]:
    return [
        ratio_row(f"metrics on, {name} ({where})", by_mode, "metrics off")
        for name, by_mode in figures.items()
    ]


async def measured(chunk: int, chunks: int) -> list[str]:
    doubles: dict[Mode, Any] = {
        "prometheus": memory_app(metrics="prometheus"),
        "off": memory_app(metrics="off"),
    }
    made = rows("doubles", await compare(doubles, DOUBLES_CASES, chunk, chunks))
    # The run's own noise: two apps with metrics off, measured as the pairs above.
    same: dict[Mode, Any] = {
        "prometheus": memory_app(metrics="off"),
        "off": memory_app(metrics="off"),
    }
    control = await compare(same, {"POST /events": post}, chunk, chunks)
    made.append(
        ratio_row(
            "control (the run's noise): metrics off against metrics off, POST /events (doubles)",
            control["POST /events"],
            "the other",
            judged=False,
        )
    )
    with ExitStack() as cleanup:
        folder = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="bench-")))
        endpoint = cleanup.enter_context(dynalite())
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
        real = await balanced(folder, endpoint, max(chunk // 4, 1), chunks)
        made += rows("SQLite + dynalite", real)
    return made


async def balanced(
    folder: Path, endpoint: str, chunk: int, chunks: int
) -> dict[str, dict[Mode, list[float]]]:
    """The pairs with stores, half of them from apps made metrics-on first and half from apps
    made metrics-off first, so that whatever the order of making costs (each app has its own
    SQLite file, engine, DynamoDB table and client) falls on both modes alike."""
    figures: dict[str, dict[Mode, list[float]]] = {
        name: {"prometheus": [], "off": []} for name in CASES
    }
    orders: tuple[tuple[Mode, Mode], ...] = (("prometheus", "off"), ("off", "prometheus"))
    for index, (first, second) in enumerate(orders):
        half = folder / str(index)
        half.mkdir()
        async with (
            stores_app(first, half, endpoint) as made_first,
            stores_app(second, half, endpoint) as made_second,
        ):
            apps = {first: made_first, second: made_second}
            count = (chunks + 1 - index) // 2 or 1
            for name, by_mode in (await compare(apps, CASES, chunk, count)).items():
                for mode, values in by_mode.items():
                    figures[name][mode] += values
    return figures


def main(chunk: int | None = None, chunks: int | None = None) -> list[str]:
    quiet_logging()
    chunk = chunk or int(knob("BENCH_METRICS_CHUNK", "20", "4"))
    chunks = chunks or int(knob("BENCH_METRICS_CHUNKS", "150", "2"))
    return asyncio.run(measured(chunk, chunks))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunk", type=int, help="requests per chunk (20; a quarter with stores)")
    parser.add_argument("--chunks", type=int, help="chunks per mode and case (150)")
    arguments = parser.parse_args()
    print("\n".join(main(arguments.chunk, arguments.chunks)))
