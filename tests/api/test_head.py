"""HEAD on every route that answers GET: the same status and headers, and no body."""

import uuid

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.settings import Settings
from tests.deployment import served_routes

VOLATILE = {"date", "x-request-id"}


def get_paths() -> list[str]:
    """Every GET route of the app, its path parameters filled in."""
    values = {"{userId}": "user-42", "{eventId}": str(uuid.uuid4())}
    paths = []
    for method, path in sorted(served_routes(create_app(Settings()).routes)):
        if method == "GET":
            for name, value in values.items():
                path = path.replace(name, value)
            paths.append(path)
    return paths


def comparable(response: httpx.Response) -> tuple[int, dict[str, str]]:
    headers = {name: value for name, value in response.headers.items() if name not in VOLATILE}
    return response.status_code, headers


@pytest.mark.parametrize("path", get_paths())
def test_head_answers_what_get_answers_without_the_body(client: TestClient, path: str) -> None:
    accept = {"accept": "text/html"} if path == "/graphql" else {}
    got = client.get(path, headers=accept)
    head = client.head(path, headers=accept)
    assert comparable(head) == comparable(got)
    assert head.content == b""
    assert int(head.headers["content-length"]) == len(got.content) > 0


def test_every_get_route_is_covered() -> None:
    paths = get_paths()
    assert {"/health", "/health/ready", "/events/user-42", "/graphql", "/docs"} <= set(paths)


def test_over_the_wire_head_sends_no_body(app: FastAPI, live_url: str) -> None:
    with httpx.Client(base_url=live_url) as http:
        assert http.get("/health").content == b'{"status":"ok"}'
        head = http.head("/health")
    assert (head.status_code, head.headers["content-length"], head.content) == (200, "15", b"")


def test_a_route_that_answers_get_lists_head_among_its_methods(client: TestClient) -> None:
    refused = client.delete("/health")
    assert refused.status_code == 405
    assert refused.headers["allow"] == "GET, HEAD"
    assert client.head("/events").status_code == 405
    assert client.head("/events").headers["allow"] == "POST"
