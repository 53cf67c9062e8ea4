"""The Lambda handler fed real API Gateway events (made by `sam local generate-event apigateway
http-api-proxy` and `aws-proxy`, stored in events/), edited only in method, path, query, headers
and body: every operation answers as it does over HTTP."""

import copy
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from mangum import Mangum

from gateway.app import create_app
from gateway.lambda_handler import build_handler
from gateway.settings import Settings
from tests.factories import make_event, unique_user

EVENTS = Path(__file__).parent / "events"


class LambdaContext:
    function_name = "eventlog"
    aws_request_id = "test-invocation"


def api_gateway_event(
    kind: str,
    method: str,
    path: str,
    *,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    body: str | None = None,
) -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(json.loads((EVENTS / f"{kind}.json").read_text()))
    headers = {"accept": "*/*", **(headers or {})}
    query = query or {}
    if kind == "http-api-v2":
        event["rawPath"] = event["requestContext"]["http"]["path"] = path
        event["requestContext"]["http"]["method"] = method
        event["rawQueryString"] = urlencode(query)
        event["queryStringParameters"] = query or None
        event["headers"] = headers
        event["cookies"] = []
    else:
        event["path"] = path
        event["requestContext"]["path"] = path
        event["httpMethod"] = event["requestContext"]["httpMethod"] = method
        event["queryStringParameters"] = query or None
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} or None
        event["headers"] = headers
        event["multiValueHeaders"] = {name: [value] for name, value in headers.items()}
    event["body"] = body
    event["isBase64Encoded"] = False
    return event


class Answer:
    def __init__(self, status: int, headers: dict[str, str], body: str) -> None:
        self.status, self.headers, self.body = status, headers, body

    def comparable(self) -> tuple[int, str | None, str | None, Any]:
        content = (
            json.loads(self.body) if "json" in self.headers.get("content-type", "") else self.body
        )
        if isinstance(content, dict):
            content.pop("requestId", None)
        return self.status, self.headers.get("content-type"), self.headers.get("location"), content


@pytest.fixture
def lambda_handler(settings: Settings) -> Mangum:
    return build_handler(settings)


@pytest.fixture
def http(settings: Settings, lambda_handler: Mangum) -> Iterator[TestClient]:
    """The same stores over HTTP: the handler created the tables already."""
    with TestClient(create_app(settings.model_copy(update={"create_tables": False}))) as client:
        yield client


def invoke(handler: Mangum, kind: str, method: str, path: str, **options: Any) -> Answer:
    result = handler(api_gateway_event(kind, method, path, **options), LambdaContext())
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
    assert statuses == [200, 409, 422, 400, 415, 200, 200, 400, 422, 200, 404, 200, 200, 200, 200]


def test_a_base_path_in_front_of_every_route_is_stripped_and_the_docs_follow_it(
    settings: Settings,
) -> None:
    handler = build_handler(settings.model_copy(update={"api_base_path": "/eventlog"}))
    assert invoke(handler, "rest-api-v1", "GET", "/eventlog/health").status == 200
    docs = invoke(handler, "http-api-v2", "GET", "/eventlog/docs")
    assert docs.status == 200
    assert "url: '/eventlog/openapi.json'" in docs.body


def test_the_database_secret_completes_the_settings(settings: Settings) -> None:
    import boto3
    from moto import mock_aws

    from gateway.stores import with_secret

    secret = {
        "username": "app",
        "password": "p@ss/word",
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
    assert resolved.database_url == (
        "mssql+pyodbc://app:p%40ss%2Fword@db.internal:1433/eventlog"
        "?driver=ODBC+Driver+18+for+SQL+Server"
    )
    assert resolved.cursor_secret is not None
    assert resolved.cursor_secret.get_secret_value() == "c" * 40
