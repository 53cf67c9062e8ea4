"""Throughput and latency of the embedded server under wrk (`make bench-load`), on 127.0.0.1.

What it measures is this process on this machine with the embedded stores (SQLite and the
moto emulator, which answers one request at a time): a floor for comparing changes, not a
forecast for SQL Server and DynamoDB. It also counts what each request costs the stores, which
does carry over: SQL statements and DynamoDB calls per request.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from bench.harness import SMOKE, SMOKE_ANSWERS, knob, stop_after

DURATION = knob("BENCH_DURATION", "10s", "10s")
CONNECTIONS = int(knob("BENCH_CONNECTIONS", "8", "1"))
SEEDED_EVENTS = 300
USER = "bench-user"

POST_SCRIPT = """
local counter = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("prefix", string.format("%08x", threads))
end
function init(args)
  math.randomseed(os.time() + tonumber(prefix, 16))
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
function request()
  counter = counter + 1
  local id = string.format("%s-%04x-4000-8000-%012x", prefix, math.random(0, 65535), counter)
  local body = '{"eventId": "' .. id .. '", "userId": "load-' .. (counter % 1000) ..
    '", "eventType": "click", "details": {"button": "buy", "n": ' .. counter .. '}}'
  return wrk.format(nil, "/events", nil, body)
end
"""


# The GETs: every answer counted by wrk itself (non-2xx), none checked by the script.
GET_SCRIPT = "function response(status, headers, body) end\n"


def seed(base: str) -> None:
    """SEEDED_EVENTS page views of USER, a second apart, in batches of 100."""
    events = [
        {
            "eventId": str(uuid.uuid4()),
            "userId": USER,
            "eventType": "page_view",
            "timestamp": f"2026-11-01T00:{number // 60:02d}:{number % 60:02d}Z",
            "details": {"page": f"/p/{number}", "durationMs": number},
        }
        for number in range(SEEDED_EVENTS)
    ]
    for start in range(0, SEEDED_EVENTS, 100):
        chunk = events[start : start + 100]
        answer = post(f"{base}/events/batch", {"events": chunk})
        assert answer["counts"]["created"] == len(chunk), answer


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def post(url: str, body: dict[str, object]) -> Any:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 200
        return json.loads(response.read())


def wrk(url: str, script: Path) -> dict[str, str]:
    """wrk -t2 (-t1 on one connection) running `script` (with BENCH_SMOKE=1, ending after
    SMOKE_ANSWERS answers)."""
    if SMOKE:
        script.write_text(script.read_text() + stop_after(SMOKE_ANSWERS))
    command = ["wrk", f"-t{min(2, CONNECTIONS)}", f"-c{CONNECTIONS}", f"-d{DURATION}"]
    result = subprocess.run(
        [*command, "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    )
    out = result.stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests/s": figure(r"Requests/sec:\s+([\d.]+)", out),
        "p50": figure(r"^\s+50%\s+(\S+)", out),
        "p99": figure(r"^\s+99%\s+(\S+)", out),
        "non-2xx": errors[1] if errors else "0",
    }


def figure(pattern: str, text: str) -> str:
    found = re.search(pattern, text, re.M)
    if found is None:
        raise RuntimeError(f"wrk printed no {pattern!r}:\n{text}")
    return found[1]


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
        body = {"eventId": str(uuid.uuid4()), "userId": USER, "eventType": "click"}
        for number in range(250):
            client.post(
                "/events", json={"userId": USER, "eventType": "view", "details": {"n": number}}
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
            print(f"  BatchGetItem of {keys:3} small items      {mean_ms:.1f} ms")


def main() -> None:
    store_calls_per_request()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: sudo apt-get install wrk")
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
            "GET /health": (f"{base}/health", GET_SCRIPT),
            "GET /events/{userId}?limit=20": (f"{base}/events/{USER}?limit=20", GET_SCRIPT),
            "GET /events/{userId}?limit=100": (f"{base}/events/{USER}?limit=100", GET_SCRIPT),
            "POST /events (new events)": (f"{base}/events", POST_SCRIPT),
        }
        shown = f"{SMOKE_ANSWERS} answers a run (BENCH_SMOKE=1)" if SMOKE else f"-d{DURATION}"
        print(
            f"wrk -t{min(2, CONNECTIONS)} -c{CONNECTIONS} {shown}, embedded stores, "
            f"{os.cpu_count()} CPUs"
        )
        for name, (url, text) in cases.items():
            with tempfile.TemporaryDirectory() as folder:
                script = Path(folder) / "request.lua"
                script.write_text(text)
                figures = wrk(url, script)
            print(f"{name:34} " + "  ".join(f"{k} {v}" for k, v in figures.items()))
            if not SMOKE:
                time.sleep(1)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
