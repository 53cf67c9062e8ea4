"""Throughput and latency of the embedded server under wrk (`make bench-load`), on 127.0.0.1.

What it measures is this process on this machine with the embedded stores (SQLite and
dynalite, or moto's server where Node.js is missing) and bench/events.py's realistic page views:
a floor for comparing changes, not a forecast for SQL Server and DynamoDB. It also counts what
each request costs the stores, which does carry over: SQL statements and DynamoDB calls per request.
"""

import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid

from bench.events import page_view, posting, sending, timestamp
from bench.harness import CONNECTIONS, DURATION, SMOKE, SMOKE_ANSWERS, free_port, wrk

SEEDED_EVENTS = 300
USER = "bench-user"


def seed(base: str) -> None:
    """SEEDED_EVENTS page views of USER, in batches of 100, every one created."""
    events = [
        page_view(str(uuid.uuid4()), USER, timestamp(number), number)
        for number in range(SEEDED_EVENTS)
    ]
    for start in range(0, SEEDED_EVENTS, 100):
        chunk = events[start : start + 100]
        request = urllib.request.Request(
            f"{base}/events/batch",
            json.dumps({"events": chunk}).encode(),
            {"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request) as response:
            answer = json.loads(response.read())
        assert answer["counts"]["created"] == len(chunk), answer


def store_calls_per_request() -> None:
    """SQL statements and DynamoDB operations behind each kind of request, counted at the
    drivers (SQLAlchemy's and botocore's event hooks) in this process."""
    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from gateway.app import create_app
    from gateway.settings import Settings
    from gateway.stores import open_stores

    calls: list[str] = []
    with open_stores(Settings()) as stores:
        event.listen(
            stores.engine,
            "before_cursor_execute",
            lambda _c, _cur, statement, *_: calls.append(statement.split()[0]),
        )
        stores.dynamodb.meta.events.register(
            "before-call.dynamodb", lambda model, **_: calls.append(model.name)
        )
        client = TestClient(create_app(Settings(), stores))
        body = page_view(str(uuid.uuid4()), USER, timestamp(10_000), 0)
        for number in range(250):
            client.post(
                "/events", json=page_view(str(uuid.uuid4()), USER, timestamp(number), number)
            )
        requests = {
            "POST /events (new)": lambda: client.post("/events", json=body),
            "POST /events (replay)": lambda: client.post("/events", json=body),
            "GET /events/{userId}?limit=100": lambda: client.get(f"/events/{USER}?limit=100"),
            "GET /events/{userId}?limit=250": lambda: client.get(f"/events/{USER}?limit=250"),
            "GET /events/{userId}/{eventId}": lambda: client.get(
                f"/events/{USER}/{body['eventId']}"
            ),
        }
        print("store calls per request (SQL statements; DynamoDB operations):")
        for name, send in requests.items():
            calls.clear()
            assert send().status_code < 300
            sql = [call for call in calls if call.isupper()]
            dynamodb = [call for call in calls if not call.isupper()]
            shown = {"SQL": sql, "DynamoDB": dynamodb}
            print(
                f"  {name:34} " + "; ".join(f"{k} {' + '.join(v) or '-'}" for k, v in shown.items())
            )
        listed = client.get(f"/events/{USER}?limit=100").json()["events"]
        event_ids = [event["eventId"] for event in listed]
        print("the embedded DynamoDB emulator alone, mean of 20 calls:")
        for keys in (20, 100):
            started = time.perf_counter()
            for _ in range(20):
                stores.details.get_many(event_ids[:keys])
            mean_ms = (time.perf_counter() - started) / 20 * 1000
            print(f"  BatchGetItem of {keys:3} page views       {mean_ms:.1f} ms")


def main() -> None:
    store_calls_per_request()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("EVENTLOG_")}
    server = subprocess.Popen(
        [sys.executable, "-m", "gateway", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env | {"EVENTLOG_LOG_LEVEL": "WARNING"},
        text=True,
    )
    try:
        assert server.stdout is not None
        server.stdout.readline()  # the banner is printed once the port is bound
        seed(base)
        cases = {
            "GET /health": (f"{base}/health", sending("GET", None, 200)),
            "GET /events/{userId}?limit=20": (
                f"{base}/events/{USER}?limit=20",
                sending("GET", None, 200),
            ),
            "GET /events/{userId}?limit=100": (
                f"{base}/events/{USER}?limit=100",
                sending("GET", None, 200),
            ),
            "POST /events (new events)": (base, posting("/events")),
        }
        runs = f"{SMOKE_ANSWERS} answers a run (BENCH_SMOKE=1)" if SMOKE else f"-d{DURATION}"
        print(
            f"wrk -t{min(2, CONNECTIONS)} -c{CONNECTIONS} {runs}, embedded stores, "
            f"{os.cpu_count()} CPUs"
        )
        print("realistic page views (bench/events.py), new eventIds, every answer checked")
        for name, (url, script) in cases.items():
            figures = wrk(url, script=script)
            print(
                f"{name:34} {figures.rps:,.0f} req/s; p50 {figures.p50_ms:.1f} / p99 "
                f"{figures.p99_ms:.1f} ms; {figures.answers:,} answers checked, "
                f"{figures.errors} socket errors, {figures.timeouts} timeouts"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
