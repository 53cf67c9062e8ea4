"""Cross-origin access as a browser asks for it: a preflight for POST /events with a JSON body,
a bearer token and a request id, answered for allowed origins only; answers expose Location,
X-Request-ID, Retry-After and WWW-Authenticate to scripts. (tests/e2e/test_cors_browser.py runs
it in Chromium.)"""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.settings import Settings
from tests.factories import make_event

ALLOWED = "http://localhost:3000"
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization,content-type,x-request-id",
}


@pytest.fixture
def cors_client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update={"cors_allow_origins": [ALLOWED]}))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_a_preflight_from_an_allowed_origin_is_answered(cors_client: TestClient) -> None:
    answer = cors_client.options("/events", headers={"Origin": ALLOWED, **PREFLIGHT})
    assert answer.status_code == 200
    assert {
        name: answer.headers.get(name)
        for name in (
            "access-control-allow-origin",
            "access-control-allow-methods",
            "access-control-allow-headers",
            "access-control-max-age",
            "access-control-allow-credentials",
        )
    } == {
        "access-control-allow-origin": ALLOWED,
        "access-control-allow-methods": "GET, POST, DELETE",
        # Starlette adds the CORS-safelisted request headers to ours.
        "access-control-allow-headers": (
            "Accept, Accept-Language, Authorization, Content-Language, Content-Type, X-Request-ID"
        ),
        "access-control-max-age": "600",
        "access-control-allow-credentials": None,
    }


def test_a_preflight_from_another_origin_is_refused(cors_client: TestClient) -> None:
    answer = cors_client.options("/events", headers={"Origin": "http://evil.test", **PREFLIGHT})
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"
    assert answer.text == "Disallowed CORS origin"
    assert "access-control-allow-origin" not in answer.headers


@pytest.mark.parametrize(
    ("asked", "refusal"),
    [
        ({"Access-Control-Request-Method": "PUT"}, "Disallowed CORS method"),
        ({"Access-Control-Request-Method": ""}, "Disallowed CORS method"),
        (
            {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-other"},
            "Disallowed CORS headers",
        ),
    ],
    ids=["another-method", "empty-method", "another-header"],
)
def test_a_preflight_asking_for_another_method_or_header_is_refused(
    cors_client: TestClient, asked: dict[str, str], refusal: str
) -> None:
    answer = cors_client.options("/events", headers={"Origin": ALLOWED, **asked})
    assert (answer.status_code, answer.text) == (400, refusal)
    # The allowed methods and headers are listed, so the browser refuses the call itself.
    assert answer.headers["access-control-allow-methods"] == "GET, POST, DELETE"


def test_an_options_request_without_a_method_to_ask_for_is_not_a_preflight(
    cors_client: TestClient,
) -> None:
    """Without Access-Control-Request-Method, an OPTIONS request is an ordinary request, and no
    route answers OPTIONS."""
    answer = cors_client.options("/events", headers={"Origin": ALLOWED})
    assert answer.status_code == 405
    assert answer.headers["allow"] == "POST"
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"] == "urn:eventlog:problem:method-not-allowed"


def test_answers_to_an_allowed_origin_expose_what_scripts_need(cors_client: TestClient) -> None:
    created = cors_client.post("/events", json=make_event(), headers={"Origin": ALLOWED})
    assert created.status_code == 201
    assert created.headers["access-control-allow-origin"] == ALLOWED
    assert created.headers["access-control-expose-headers"] == (
        "Location, X-Request-ID, Retry-After, WWW-Authenticate"
    )
    assert created.headers["vary"] == "Origin"
    refused = cors_client.post("/events", json={}, headers={"Origin": "http://evil.test"})
    assert refused.status_code == 422
    assert "access-control-allow-origin" not in refused.headers


def test_without_allowed_origins_no_page_elsewhere_may_call(client: TestClient) -> None:
    preflight = client.options("/events", headers={"Origin": ALLOWED, **PREFLIGHT})
    assert preflight.status_code == 405
    assert preflight.json()["type"] == "urn:eventlog:problem:method-not-allowed"
    assert "access-control-allow-origin" not in preflight.headers
    simple = client.get("/health", headers={"Origin": ALLOWED})
    assert not [name for name in simple.headers if name.startswith("access-control-")]
