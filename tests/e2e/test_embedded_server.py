"""`make run`'s server: its banner, its logs, a clean stop that leaves no data behind."""

import json
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.docs import ROOT
from tests.e2e.servers import RunningServer
from tests.factories import make_event
from tests.wire import HANG_GUARD_SECONDS


def test_the_banner_says_where_the_api_its_docs_and_the_data_are(
    embedded_server: RunningServer,
) -> None:
    url = embedded_server.url
    assert embedded_server.banner[0] == f"Event Log API on {url}"
    assert (
        f"{url}/docs" in embedded_server.banner[1] and f"{url}/redoc" in embedded_server.banner[1]
    )
    assert re.fullmatch(
        r"  metadata: sqlite:////.+/eventlog-[^/]+/events\.db", embedded_server.banner[2]
    )
    assert re.fullmatch(
        r"  details:  http://127\.0\.0\.1:\d+ table eventlog-details \(dynalite\)",
        embedded_server.banner[3],
    )
    assert embedded_server.banner[4] == f"  metrics:  {url}/metrics (Prometheus)"
    assert "temporary: removed when this process stops" in embedded_server.banner[5]
    assert httpx.get(f"{url}/health/ready").status_code == 200
    assert httpx.get(f"{url}/docs").status_code == 200


def test_the_metrics_the_banner_names_are_prometheus_text_that_counts_the_requests(
    embedded_server: RunningServer,
) -> None:
    url = embedded_server.url
    assert httpx.post(f"{url}/events", json=make_event()).status_code == 201
    assert httpx.get(f"{url}/events/nobody").status_code == 200
    scraped = httpx.get(embedded_server.banner[4].split()[1])
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain; version=")
    families = {family.name: family for family in text_string_to_metric_families(scraped.text)}
    answered = {
        (sample.labels["operation"], sample.labels["status_class"]): sample.value
        for sample in families["eventlog_requests"].samples
        if sample.name == "eventlog_requests_total"
    }
    assert answered[("POST /events", "2xx")] == 1
    assert answered[("GET /events/{userId}", "2xx")] == 1
    stores = {
        (sample.labels["store"], sample.labels["call"])
        for sample in families["eventlog_store_call_duration_seconds"].samples
    }
    assert {("details", "UpdateItem"), ("metadata", "INSERT"), ("metadata", "COMMIT")} <= stores


def test_logs_are_json_lines_carrying_the_request_id(embedded_server: RunningServer) -> None:
    response = httpx.post(
        f"{embedded_server.url}/events", json=make_event(), headers={"X-Request-ID": "e2e-log-1"}
    )
    assert response.status_code == 201
    assert embedded_server.stop() == 0
    lines = [json.loads(line) for line in embedded_server.stderr]
    access = [line for line in lines if line.get("logger") == "eventlog.access"]
    assert {
        "message": "request",
        "method": "POST",
        "path": "/events",
        "status": 201,
        "request_id": "e2e-log-1",
    }.items() <= access[0].items()


def children(pid: int) -> set[int]:
    """The processes `pid` started (Linux's /proc): the server's dynalite."""
    return {int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def running(pid: int) -> bool:
    """`pid` exists and is not a zombie waiting for its parent to read its status."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return status.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.parametrize(
    "how", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=["ctrl-c", "sigterm", "sighup"]
)
def test_stopping_removes_the_temporary_data_and_ends_dynalite(
    embedded_server: RunningServer, how: signal.Signals
) -> None:
    """Ctrl+C, a service manager's SIGTERM, or the terminal closing (SIGHUP): the same clean
    stop, exit status 0, the temporary folder (events.db) removed and dynalite ended."""
    database = Path(embedded_server.banner[2].split("sqlite:///")[1])
    assert database.exists()
    [dynalite] = children(embedded_server.process.pid)
    assert running(dynalite)
    embedded_server.process.send_signal(how)
    assert embedded_server.process.wait(timeout=HANG_GUARD_SECONDS) == 0
    assert not database.parent.exists()
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    while running(dynalite) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not running(dynalite)


def test_the_open_banner_says_anyone_may_call(embedded_server: RunningServer) -> None:
    assert embedded_server.banner[6] == (
        "  auth: off: anyone may read and write every user's events "
        "(make run AUTH=dev to try tokens)"
    )


def documented_dev_banner() -> list[str]:
    """The banner docs/configuration.md prints under `make run AUTH=dev`, as patterns: ports and
    the token change every run."""
    text = (ROOT / "docs" / "configuration.md").read_text()
    block = text.split("## Trying authentication", 1)[1].split("```text\n", 1)[1].split("```")[0]
    patterns = []
    for line in block.splitlines():
        pattern = re.escape(line).replace("41001", r"\d+").replace("8000", r"\d+")
        patterns.append(
            pattern.replace(re.escape("eyJhbGciOiJSUzI1NiIs..."), r"eyJ[\w-]+\.[\w-]+\.[\w-]+")
        )
    return patterns


def test_the_dev_banner_is_the_one_the_docs_show_and_its_commands_work(
    dev_auth_server: RunningServer,
) -> None:
    shown = dev_auth_server.banner[6:]
    patterns = documented_dev_banner()
    assert len(shown) == len(patterns)
    for line, pattern in zip(shown, patterns, strict=True):
        assert re.fullmatch(pattern, line), line
    exported = dict(
        line.strip().removeprefix("export ").split("=", 1) for line in shown if "export " in line
    )
    then = shown[-2].split("then: ", 1)[1]
    more = shown[-1].split("more tokens: ", 1)[1]
    env = os.environ | exported
    listed = subprocess.run(
        ["bash", "-c", then], capture_output=True, text=True, env=env, check=True
    )
    assert json.loads(listed.stdout) == {"userId": "user-42", "events": [], "nextCursor": None}
    minted = subprocess.run(
        ["bash", "-c", more], capture_output=True, text=True, env=env, check=True
    )
    other = json.loads(minted.stdout)["access_token"]
    answer = httpx.get(
        f"{dev_auth_server.url}/events/user-42", headers={"Authorization": f"Bearer {other}"}
    )
    assert answer.status_code == 200  # user-7's token, with the scope events:read
    assert httpx.get(f"{dev_auth_server.url}/events/user-42").status_code == 401


def test_without_nodejs_the_embedded_dynamodb_is_moto_and_still_answers() -> None:
    """No `node` on the PATH (npm never ran): moto serves DynamoDB inside the API's process."""
    from tests.e2e.servers import serve

    for server in serve(PATH="/nonexistent"):
        assert server.banner[3].endswith(
            "table eventlog-details (moto in this process: without Node.js, no dynalite)"
        )
        created = httpx.post(f"{server.url}/events", json=make_event(userId="no-node"))
        assert created.status_code == 201
        assert len(httpx.get(f"{server.url}/events/no-node").json()["events"]) == 1


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_a_killed_server_leaves_no_dynalite_listening(embedded_server: RunningServer) -> None:
    """A kill cannot be caught, so the temporary folder stays, but dynalite (tied to the
    server's end of a pipe) ends with it: nothing is left listening, one more per run."""
    found = re.search(r"http://127\.0\.0\.1:(\d+) table", embedded_server.banner[3])
    assert found is not None
    port = int(found.group(1))
    assert listening(port)
    embedded_server.process.send_signal(signal.SIGKILL)
    embedded_server.process.wait(timeout=HANG_GUARD_SECONDS)
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    while listening(port) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not listening(port)
