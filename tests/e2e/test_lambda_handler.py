"""The Lambda handler fed real API Gateway events (made by `sam local generate-event apigateway
http-api-proxy` and `aws-proxy`, stored in events/), edited only in method, path, query, headers
and body: every operation answers as it does over HTTP."""

import json
import os
import random
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from mangum import Mangum

from gateway.app import create_app
from gateway.assets import PACKAGE_URL
from gateway.auth.dev_issuer import LocalIssuer
from gateway.entrypoints.lambda_handler import build_handler
from gateway.settings import Settings
from gateway.stores import StoresOnDemand, sql_url, with_secret
from persistence.embedded import EmbeddedDynamoDB
from tests.auth import with_issuer
from tests.factories import make_event, unique_user
from tests.lambda_events import LambdaContext, api_gateway_event
from tests.stores import PASSWORD, closed_port, pyodbc_connection_string

ROOT = Path(__file__).resolve().parents[2]


class Answer:
    def __init__(self, status: int, headers: dict[str, str], body: str) -> None:
        self.status, self.headers, self.body = status, headers, body

    def comparable(self) -> tuple[int, str | None, str | None, Any]:
        content = (
            json.loads(self.body, object_hook=_without_request_id)
            if "json" in self.headers.get("content-type", "")
            else self.body
        )
        return self.status, self.headers.get("content-type"), self.headers.get("location"), content


def _without_request_id(found: dict[str, Any]) -> dict[str, Any]:
    """Each request's own id, in a problem or a batch's problems, is not compared."""
    found.pop("requestId", None)
    return found


@pytest.fixture
def lambda_handler(settings: Settings) -> Mangum:
    return build_handler(settings)


@pytest.fixture
def http(settings: Settings, lambda_handler: Mangum) -> Iterator[TestClient]:
    """The same stores over HTTP: the handler created the tables already."""
    with TestClient(create_app(settings.model_copy(update={"create_tables": False}))) as client:
        yield client


def invoke(
    handler: Mangum,
    kind: str,
    method: str,
    path: str,
    context: LambdaContext | None = None,
    **options: Any,
) -> Answer:
    event = api_gateway_event(kind, method, path, **options)
    result = handler(event, context or LambdaContext())  # type: ignore[arg-type]
    headers = {name.lower(): value for name, value in result["headers"].items()}
    assert not result["isBase64Encoded"], headers.get("content-type")
    return Answer(result["statusCode"], headers, result["body"])


def over_http(client: TestClient, method: str, path: str, **options: Any) -> Answer:
    response = client.request(
        method,
        path,
        params=options.get("query"),
        headers=options.get("headers"),
        content=options.get("body"),
    )
    return Answer(response.status_code, dict(response.headers), response.text)


@pytest.mark.parametrize("kind", ["http-api-v2", "rest-api-v1"])
def test_every_rest_operation_answers_through_the_handler_as_over_http(
    kind: str, lambda_handler: Mangum, http: TestClient
) -> None:
    user = unique_user()
    json_headers = {"content-type": "application/json"}
    body = make_event(userId=user, eventId=str(uuid.uuid4()), timestamp="2026-11-24T09:30:00Z")
    created = invoke(
        lambda_handler, kind, "POST", "/events", headers=json_headers, body=json.dumps(body)
    )
    assert created.status == 201
    assert created.headers["location"] == f"/events/{user}/{body['eventId']}"
    for _ in range(2):
        invoke(
            lambda_handler,
            kind,
            "POST",
            "/events",
            headers=json_headers,
            body=json.dumps(make_event(userId=user, timestamp="2026-11-24T08:00:00Z")),
        )
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", "/events", {"headers": json_headers, "body": json.dumps(body)}),
        (
            "POST",
            "/events",
            {"headers": json_headers, "body": json.dumps(body | {"eventType": "x"})},
        ),
        ("POST", "/events", {"headers": json_headers, "body": json.dumps({"userId": "bad user"})}),
        ("POST", "/events", {"headers": json_headers, "body": "{not json"}),
        ("POST", "/events", {"headers": {"content-type": "text/plain"}, "body": "hi"}),
        (
            "POST",
            "/events/batch",
            {"headers": json_headers, "body": json.dumps({"events": [body, {"userId": user}]})},
        ),
        ("POST", "/events/batch", {"headers": json_headers, "body": json.dumps({"events": []})}),
        ("DELETE", f"/events/{user}", {"query": {"limit": "0"}}),
        ("DELETE", f"/events/{user}/{uuid.uuid4()}", {}),
        ("GET", f"/events/{user}", {}),
        ("GET", f"/events/{user}", {"query": {"limit": "1", "eventType": "page_view"}}),
        ("GET", f"/events/{user}", {"query": {"cursor": "tampered"}}),
        ("GET", f"/events/{user}", {"query": {"limit": "0"}}),
        ("GET", f"/events/{user}/{body['eventId']}", {}),
        ("GET", f"/events/{user}/{uuid.uuid4()}", {}),
        ("GET", "/health", {}),
        ("GET", "/health/ready", {}),
        ("GET", "/openapi.json", {}),
        (
            "POST",
            "/graphql",
            {
                "headers": json_headers,
                "body": json.dumps(
                    {"query": f'{{ events(userId: "{user}") {{ nodes {{ eventId details }} }} }}'}
                ),
            },
        ),
    ]
    statuses = []
    for method, path, options in requests:
        through_lambda = invoke(lambda_handler, kind, method, path, **options)
        assert (
            through_lambda.comparable() == over_http(http, method, path, **options).comparable()
        ), path
        statuses.append(through_lambda.status)
    assert statuses == [
        *(200, 409, 422, 400, 415),
        *(200, 422, 422, 404),
        *(200, 200, 400, 422, 200, 404, 200, 200, 200, 200),
    ]


@pytest.mark.parametrize("kind", ["http-api-v2", "rest-api-v1"])
def test_erasures_answer_through_the_handler(
    kind: str, lambda_handler: Mangum, http: TestClient
) -> None:
    user = unique_user()
    events = [make_event(userId=user, eventId=str(uuid.uuid4())) for _ in range(3)]
    recorded = invoke(
        lambda_handler,
        kind,
        "POST",
        "/events/batch",
        headers={"content-type": "application/json"},
        body=json.dumps({"events": events}),
    )
    assert json.loads(recorded.body)["counts"]["created"] == 3
    one = invoke(lambda_handler, kind, "DELETE", f"/events/{user}/{events[0]['eventId']}")
    assert (one.status, one.body) == (204, "")
    assert http.get(f"/events/{user}/{events[0]['eventId']}").status_code == 404
    rest = invoke(lambda_handler, kind, "DELETE", f"/events/{user}", query={"limit": "1"})
    assert json.loads(rest.body) == {"userId": user, "deleted": 1, "more": True}
    assert len(http.get(f"/events/{user}").json()["events"]) == 1


def test_a_base_path_in_front_of_every_route_is_stripped_once_and_the_docs_follow_it(
    settings: Settings,
) -> None:
    handler = build_handler(settings.model_copy(update={"api_base_path": "/eventlog"}))
    assert invoke(handler, "rest-api-v1", "GET", "/eventlog/health").status == 200
    # The API's own execute-api URL has no base path, and works too.
    assert invoke(handler, "http-api-v2", "GET", "/health").status == 200
    for path in ("/eventlog/eventlog/health", "/eventloghealth", "/eventlog/nothing"):
        answer = invoke(handler, "http-api-v2", "GET", path)
        assert (answer.status, answer.headers["content-type"]) == (
            404,
            "application/problem+json",
        ), path
    docs = invoke(handler, "http-api-v2", "GET", "/eventlog/docs")
    assert docs.status == 200
    assert "url: '/eventlog/openapi.json'" in docs.body
    user = unique_user()
    for path, base in (("/eventlog/events", "/eventlog"), ("/events", "")):
        created = invoke(
            handler,
            "http-api-v2",
            "POST",
            path,
            headers={"content-type": "application/json"},
            body=json.dumps(make_event(userId=user)),
        )
        event_id = json.loads(created.body)["eventId"]
        # The Location the client follows is under the path it called.
        assert created.headers["location"] == f"{base}/events/{user}/{event_id}"
        assert invoke(handler, "http-api-v2", "GET", created.headers["location"]).status == 200


LOCAL_ASSET = re.compile(r'(?:src|href)="(/[^"]*/assets/[^"]+)"')


@pytest.mark.parametrize(("page", "files"), [("/docs", 2), ("/redoc", 1), ("/graphql", 7)])
def test_the_docs_and_graphiql_load_their_files_from_the_function_under_the_base_path(
    settings: Settings, page: str, files: int
) -> None:
    """No CDN on Lambda either: every file a page names is served by the function itself,
    under the base path the browser sees."""
    handler = build_handler(settings.model_copy(update={"api_base_path": "/eventlog"}))
    html = invoke(
        handler, "http-api-v2", "GET", f"/eventlog{page}", headers={"accept": "text/html"}
    )
    assert html.status == 200
    assets = LOCAL_ASSET.findall(html.body)
    assert len(assets) == files, "run `make assets`: the page still loads from a CDN"
    assert PACKAGE_URL.search(html.body) is None
    for url in assets:
        assert url.startswith("/eventlog/assets/"), url
        assert invoke(handler, "rest-api-v1", "GET", url).status == 200, url


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/nothing/here", 404), ("DELETE", "/events", 405), ("PUT", "/graphql", 405)],
)
def test_unknown_paths_and_methods_are_answered_with_problems(
    lambda_handler: Mangum, method: str, path: str, status: int
) -> None:
    """What the template's catch-all route sends to the function (instead of API Gateway's
    own `{"message":"Not Found"}`)."""
    answer = invoke(lambda_handler, "http-api-v2", method, path)
    assert (answer.status, answer.headers["content-type"]) == (status, "application/problem+json")
    assert answer.comparable()[3]["status"] == status


def test_stores_that_cannot_be_opened_answer_503_and_a_later_request_opens_them(
    settings: Settings,
) -> None:
    port = closed_port()
    handler = build_handler(
        settings.model_copy(update={"dynamodb_endpoint": f"http://127.0.0.1:{port}"})
    )
    user = unique_user()
    down = invoke(handler, "http-api-v2", "GET", f"/events/{user}")
    assert (down.status, down.headers["content-type"]) == (503, "application/problem+json")
    assert down.comparable()[3]["store"] == "details"
    assert invoke(handler, "http-api-v2", "GET", "/health").status == 200
    emulator = EmbeddedDynamoDB(port)
    emulator.start()
    try:
        up = invoke(handler, "http-api-v2", "GET", f"/events/{user}")
    finally:
        emulator.stop()
    assert (up.status, json.loads(up.body)["events"]) == (200, [])


def test_a_silent_store_answers_503_before_the_invocation_runs_out(
    settings: Settings, silent_port: int
) -> None:
    """The request's deadline is the invocation's remaining time less a margin, when that is
    sooner than the configured request timeout: 4 s left, 3 s margin, 1 s for the stores."""
    silent = settings.model_copy(
        update={
            "dynamodb_endpoint": f"http://127.0.0.1:{silent_port}",
            "create_tables": False,
            "dynamodb_read_timeout_seconds": 30,
        }
    )
    handler = build_handler(silent)
    began = time.monotonic()
    answer = invoke(
        handler,
        "http-api-v2",
        "POST",
        "/events",
        context=LambdaContext(remaining_ms=4000),
        headers={"content-type": "application/json"},
        body=json.dumps(make_event()),
    )
    took = time.monotonic() - began
    assert (answer.status, json.loads(answer.body)["store"]) == (503, "details")
    assert "connection" not in answer.headers
    assert took < 1 + 2, took  # the deadline, and a margin for a busy machine


def test_the_database_secret_completes_the_settings_with_its_parts(
    settings: Settings,
) -> None:
    """A password with URL delimiters stays a password: it is never spliced into the URL."""
    import boto3
    from moto import mock_aws

    secret = {
        "username": "app",
        "password": PASSWORD,
        "host": "db.internal",
        "port": 1433,
        "dbname": "eventlog",
        "cursorSecret": "c" * 40,
    }
    with mock_aws():
        arn = boto3.client("secretsmanager", region_name="us-east-1").create_secret(
            Name="eventlog/sql", SecretString=json.dumps(secret)
        )["ARN"]
        resolved = with_secret(
            Settings(
                database_url="mssql+pyodbc://@placeholder/eventlog?driver=ODBC+Driver+18+for+SQL+Server",
                dynamodb_endpoint="aws",
                database_secret_arn=arn,
            )
        )
    url = sql_url(resolved)
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "app",
        PASSWORD,
        "db.internal",
        1433,
        "eventlog",
    )
    assert pyodbc_connection_string(url) == (
        "DRIVER={ODBC Driver 18 for SQL Server};Server=db.internal,1433;Database=eventlog;"
        "UID=app;PWD=P@ssw0rd#2026"
    )
    assert PASSWORD not in resolved.database_url
    assert resolved.cursor_secret is not None
    assert resolved.cursor_secret.get_secret_value() == "c" * 40


class SilentEndpoint:
    """A loopback port whose connections complete (the kernel queues them) and never get a
    byte back: an endpoint that hangs. It counts the connections made to it."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    def connections(self) -> int:
        self.listener.setblocking(False)
        count = 0
        with suppress(BlockingIOError):
            while True:
                self.listener.accept()[0].close()
                count += 1
        return count

    def close(self) -> None:
        self.listener.close()


def test_an_unreachable_secret_answers_503_after_two_bounded_attempts(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Botocore's defaults would wait 3 x 60 s, past Lambda's init; the container must start
    and answer with the documented problem instead."""
    endpoint = SilentEndpoint()
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", endpoint.url)
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:eventlog"
    handler = build_handler(settings.model_copy(update={"database_secret_arn": arn}))
    began = time.monotonic()
    answer = invoke(handler, "http-api-v2", "GET", f"/events/{unique_user()}")
    waited = time.monotonic() - began
    attempts = endpoint.connections()
    endpoint.close()
    # 2 attempts of a 2 s read (README): inside Lambda's 10 s init, with room for a busy machine.
    assert waited < 9, waited
    assert answer.status == 503
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["retry-after"] == "2"
    assert answer.comparable()[3] == {
        "type": "urn:eventlog:problem:unavailable",
        "title": "Store unavailable",
        "status": 503,
        "detail": "The metadata store is unavailable; retry the same request later.",
        "store": "metadata",
    }
    assert attempts == 2


CALL_THE_HANDLER_AND_END = """
import json, sys
from gateway.entrypoints.lambda_handler import handler
from tests.lambda_events import LambdaContext, api_gateway_event
answer = handler(api_gateway_event("http-api-v2", "GET", "/health/ready"), LambdaContext())
print(answer["statusCode"], flush=True)
"""


def test_a_process_that_called_the_handler_in_embedded_mode_exits() -> None:
    """The embedded stores are closed at exit: before, the emulator's shutdown waited for a
    server thread the interpreter had already frozen, and the process hung forever."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EVENTLOG_", "AWS_"))}
    finished = subprocess.run(
        [sys.executable, "-c", CALL_THE_HANDLER_AND_END],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (finished.returncode, finished.stdout) == (0, "200\n"), finished.stderr[-2000:]


def test_after_a_snapstart_restore_pooled_sql_connections_are_discarded(
    settings: Settings,
) -> None:
    """Lambda runs the hooks registered with snapshot_restore_py after resuming a snapshot;
    the pool's connections belong to the machine the snapshot was taken on."""
    import snapshot_restore_py

    stores = StoresOnDemand(settings)
    handler = build_handler(settings, stores)
    user = unique_user()
    assert invoke(handler, "http-api-v2", "GET", f"/events/{user}").status == 200
    pool = stores().engine.pool
    assert pool.checkedin() == 1  # type: ignore[attr-defined]
    hook, args, kwargs = snapshot_restore_py.get_after_restore()[-1]
    hook(*args, **kwargs)
    assert stores().engine.pool is not pool
    assert stores().engine.pool.checkedin() == 0  # type: ignore[attr-defined]
    assert invoke(handler, "http-api-v2", "GET", f"/events/{user}").status == 200


def test_after_a_snapstart_restore_random_draws_differ_from_the_snapshots(
    settings: Settings,
) -> None:
    """Sandboxes restored from one snapshot share its `random` state until it is seeded anew."""
    import snapshot_restore_py

    build_handler(settings, StoresOnDemand(settings))
    snapshot = random.getstate()
    for hook, args, kwargs in snapshot_restore_py.get_after_restore():
        hook(*args, **kwargs)
    restored = [random.random() for _ in range(4)]
    random.setstate(snapshot)
    assert restored != [random.random() for _ in range(4)]


def test_behind_the_gateways_authorizer_the_app_checks_the_token_again(
    settings: Settings, issuer: LocalIssuer
) -> None:
    """The claims API Gateway passes on are not trusted: only the token itself is (one code path
    everywhere, and a route left without the authorizer by mistake stays closed)."""
    handler = build_handler(with_issuer(settings, issuer))
    user = unique_user()
    event = api_gateway_event("http-api-v2", "GET", f"/events/{user}")
    event["requestContext"]["authorizer"]["jwt"]["claims"] = {"sub": user, "scope": "events:read"}
    refused = handler(event, LambdaContext())  # type: ignore[arg-type]
    assert refused["statusCode"] == 401
    assert refused["headers"]["www-authenticate"] == 'Bearer realm="eventlog"'
    allowed = invoke(
        handler,
        "http-api-v2",
        "GET",
        f"/events/{user}",
        headers={"authorization": f"Bearer {issuer.token(user)}"},
    )
    assert (allowed.status, json.loads(allowed.body)["events"]) == (200, [])
