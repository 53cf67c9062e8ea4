"""`make run`'s server: its banner, its logs, a clean stop that leaves no data behind."""

import json
import re
from pathlib import Path

import httpx

from tests.e2e.conftest import RunningServer
from tests.factories import make_event


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
        r"  details:  http://127\.0\.0\.1:\d+ table eventlog-details", embedded_server.banner[3]
    )
    assert "temporary: removed when this process stops" in embedded_server.banner[4]
    assert httpx.get(f"{url}/health/ready").status_code == 200
    assert httpx.get(f"{url}/docs").status_code == 200


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


def test_stopping_removes_the_temporary_data(embedded_server: RunningServer) -> None:
    database = Path(embedded_server.banner[2].split("sqlite:///")[1])
    assert database.exists()
    assert embedded_server.stop() == 0
    assert not database.parent.exists()
