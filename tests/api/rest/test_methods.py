"""What a method or a path the API does not serve is answered: `405` naming in `Allow` every
method served at that path (several routes share one: GET and DELETE /events/{userId}), and a
trailing slash a problem+json `404`, never a redirect (a client following a 307 with DELETE
would erase a user's whole history where it meant one event)."""

import uuid
from collections import defaultdict

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from gateway.app import create_app
from gateway.settings import Settings
from tests.deployment import served_routes
from tests.factories import make_event, unique_user

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
VALUES = {"{userId}": "user-42", "{eventId}": str(uuid.uuid4())}


def served_by_path() -> dict[str, set[str]]:
    """Every concrete path the tests try, with the methods some route answers there."""
    routes = served_routes(create_app(Settings()).routes)
    paths = {path for _, path in routes}
    concrete: dict[str, set[str]] = defaultdict(set)
    for path in paths:
        filled = path
        for name, value in VALUES.items():
            filled = filled.replace(name, value)
        for method, pattern in routes:
            if _matches(pattern, filled):
                concrete[filled].add(method)
    return concrete


def _matches(pattern: str, path: str) -> bool:
    given, wanted = path.split("/"), pattern.split("/")
    return len(given) == len(wanted) and all(
        part == want or (want.startswith("{") and part)
        for part, want in zip(given, wanted, strict=True)
    )


SERVED = served_by_path()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The stores of every API test, with `/metrics` served (behind its token) as `Settings()`
    serves it, so every path of `SERVED` is one this app answers."""
    return settings.model_copy(update={"metrics_token": SecretStr("m" * 32)})


@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(SERVED))
def test_a_method_not_served_is_405_naming_every_method_served_at_that_path(
    client: TestClient, path: str
) -> None:
    served = SERVED[path]
    expected = [method for method in METHODS if method in served]
    if "GET" in served:
        expected.insert(1, "HEAD")  # every GET route answers HEAD (gateway/middleware/head.py)
    for method in sorted(set(METHODS) - served):
        answer = client.request(method, path)
        assert answer.status_code == 405, (method, path)
        assert answer.headers["allow"].split(", ") == expected, (method, path)
        if path != "/graphql":
            assert answer.headers["content-type"] == "application/problem+json"


def test_paths_shared_by_several_routes_list_them_all(client: TestClient) -> None:
    assert client.put("/events/batch").headers["allow"] == "GET, HEAD, POST, DELETE"
    assert client.post("/events/user-1").headers["allow"] == "GET, HEAD, DELETE"


@pytest.mark.parametrize("path", sorted(SERVED))
def test_a_trailing_slash_is_404_never_a_redirect(client: TestClient, path: str) -> None:
    for method in sorted(SERVED[path]):
        answer = client.request(method, path + "/", follow_redirects=False)
        assert answer.status_code == 404, (method, path)
        assert "location" not in answer.headers
        assert answer.headers["content-type"] == "application/problem+json"


def test_delete_with_an_empty_event_id_erases_nothing(client: TestClient) -> None:
    user = unique_user()
    assert client.post("/events", json=make_event(userId=user)).status_code == 201
    assert client.delete(f"/events/{user}/", follow_redirects=True).status_code == 404
    assert len(client.get(f"/events/{user}").json()["events"]) == 1
