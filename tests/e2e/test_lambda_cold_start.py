"""What Lambda's init loads, and what waits for the first request that needs it: a fresh
interpreter runs the handler module as Lambda does (its init at import, of the type Lambda
names in AWS_LAMBDA_INITIALIZATION_TYPE), then answers a REST and a GraphQL request."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.stores import TEST_CURSOR_SECRET

ROOT = Path(__file__).resolve().parents[2]

# Loaded only by what asks for it: GraphQL by the first /graphql request, the Prometheus and
# OTLP exporters only when configured, boto3 (and s3transfer) never: the clients are botocore's.
NOT_AT_INIT = ("strawberry", "graphql", "prometheus_client", "opentelemetry.sdk", "boto3")

INIT_THEN_REQUESTS = """
import gc, json, sys
from gateway.entrypoints import lambda_handler
from tests.lambda_events import LambdaContext, api_gateway_event

def loaded():
    return sorted(n for n in {names} if n in sys.modules)

report = {{"after_init": loaded(), "collecting": gc.isenabled(), "frozen": gc.get_freeze_count()}}
page = api_gateway_event("http-api-v2", "GET", "/events/user-1")
ok = lambda_handler.handler(page, LambdaContext())
report["rest"] = [ok["statusCode"], json.loads(ok["body"]), loaded()]
query = {{"query": "{{ events(userId: \\"user-1\\", first: 5) {{ nodes {{ eventId }} }} }}"}}
event = api_gateway_event(
    "http-api-v2", "POST", "/graphql", body=json.dumps(query),
    headers={{"content-type": "application/json"}},
)
answer = lambda_handler.handler(event, LambdaContext())
report["graphql"] = [answer["statusCode"], json.loads(answer["body"]), loaded()]
print(json.dumps(report))
"""


def run_init_then_requests(
    tmp_path: Path, moto_endpoint: str, details_table: str, initialization_type: str
) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EVENTLOG_", "AWS_"))}
    env |= {
        "AWS_LAMBDA_FUNCTION_NAME": "eventlog-api",
        "AWS_LAMBDA_INITIALIZATION_TYPE": initialization_type,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "EVENTLOG_DATABASE_URL": f"sqlite:///{tmp_path / 'events.db'}",
        "EVENTLOG_DYNAMODB_ENDPOINT": moto_endpoint,
        "EVENTLOG_AWS_REGION": "us-east-1",
        "EVENTLOG_DETAILS_TABLE": details_table,
        "EVENTLOG_CREATE_TABLES": "true",
        "EVENTLOG_CURSOR_SECRET": TEST_CURSOR_SECRET,
        "EVENTLOG_AUTH": "none",
        "EVENTLOG_METRICS": "emf",
    }
    finished = subprocess.run(
        [sys.executable, "-c", INIT_THEN_REQUESTS.format(names=repr(NOT_AT_INIT))],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    report: dict[str, Any] = json.loads(finished.stdout.splitlines()[-1])
    return report


def test_the_init_leaves_graphql_and_unconfigured_exporters_to_the_first_request_needing_them(
    tmp_path: Path, moto_endpoint: str, details_table: str
) -> None:
    report = run_init_then_requests(tmp_path, moto_endpoint, details_table, "on-demand")
    assert report["after_init"] == []
    # The collector, paused during the init, runs again; what the init made is left out of it.
    assert report["collecting"] is True
    assert report["frozen"] > 10_000
    assert report["rest"] == [200, {"userId": "user-1", "events": [], "nextCursor": None}, []]
    status, body, loaded = report["graphql"]
    assert (status, body) == (200, {"data": {"events": {"nodes": []}}})
    assert loaded == ["graphql", "strawberry"]


@pytest.mark.parametrize("initialization_type", ["snap-start", "provisioned-concurrency"])
def test_an_init_no_request_waits_on_builds_graphql_too(
    tmp_path: Path, moto_endpoint: str, details_table: str, initialization_type: str
) -> None:
    """A SnapStart snapshot's init, or provisioned concurrency's, is paid before any request:
    the first /graphql request after it finds GraphQL built."""
    report = run_init_then_requests(tmp_path, moto_endpoint, details_table, initialization_type)
    assert report["after_init"] == ["graphql", "strawberry"]
    assert report["rest"][0] == 200
    assert report["graphql"][:2] == [200, {"data": {"events": {"nodes": []}}}]
