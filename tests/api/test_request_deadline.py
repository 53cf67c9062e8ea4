"""One deadline per request, over a real server (uvicorn) with real drivers: whatever store is
locked, silent or slow, every request answers the documented 503 by its deadline, and nothing
half-written becomes visible.

The bounds asserted are correctness bounds (deadline + a margin for whole-second SQL Server
timeouts and a busy machine), not performance figures.
"""

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.auth.dev_issuer import LocalIssuer
from gateway.settings import Settings
from resolvers.writes import WITHDRAW_BUDGET_SECONDS
from tests.api.apps import LiveServer, app_with, details_store_at
from tests.api.graphql.graphql_client import RECORD
from tests.api.unavailable import assert_unavailable, details_items
from tests.auth import StubJwks, bearer, with_issuer
from tests.factories import make_event
from tests.keep_alive import keep_alive_run
from tests.stores import FREETDS_URL, sql_store, sqlite_locked

DEADLINE_SECONDS = 1.5
MARGIN_SECONDS = 2.0
QUERY = '{ events(userId: "user-42") { edges { cursor } } }'


@pytest.fixture
def deadline_settings(settings: Settings) -> Settings:
    """Every store's own bounds far above the deadline, so the deadline is what ends a wait."""
    return settings.model_copy(
        update={
            "request_timeout_seconds": DEADLINE_SECONDS,
            "sql_pool_size": 2,
            "dynamodb_read_timeout_seconds": 30,
            "dynamodb_max_attempts": 3,
        }
    )


def timed(
    http: httpx.Client, method: str, path: str, *, withdrawing: bool = False, **options: Any
) -> httpx.Response:
    """`withdrawing`: a write whose claims the deadline cut, which may take the withdrawal
    budget on top of the deadline (docs/rest.md)."""
    began = time.monotonic()
    response = http.request(method, path, **options)
    took = time.monotonic() - began
    allowance = WITHDRAW_BUDGET_SECONDS if withdrawing else 0.0
    assert took < DEADLINE_SECONDS + allowance + MARGIN_SECONDS, (took, response.text)
    return response


@pytest.mark.slow
@pytest.mark.parametrize("clients", [20, 40])
def test_with_the_database_locked_every_writer_gets_503_by_the_deadline(
    deadline_settings: Settings, clients: int
) -> None:
    user = f"locked-{uuid.uuid4().hex[:8]}"
    bodies = [make_event(userId=user, eventId=str(uuid.uuid4())) for _ in range(clients)]
    database = Path(deadline_settings.database_url.removeprefix("sqlite:///"))
    with LiveServer(app_with(deadline_settings)) as url, httpx.Client(base_url=url) as http:

        def post(body: dict[str, Any]) -> httpx.Response:
            with httpx.Client(base_url=url, timeout=30) as own:
                # The rows' write is cut; withdrawing its claim may take the budget.
                return timed(own, "POST", "/events", json=body, withdrawing=True)

        with sqlite_locked(database), ThreadPoolExecutor(clients) as pool:
            answers = list(pool.map(post, bodies))
            # Readers pass the writer (WAL) meanwhile.
            assert timed(http, "GET", f"/events/{user}").json()["events"] == []
        for answer in answers:
            assert answer.status_code == 503, answer.text
            assert answer.headers["retry-after"] == "2"
        assert http.get(f"/events/{user}").json()["events"] == []
        # The lock gone, the same requests again are stored, once each.
        assert http.post("/events", json=bodies[0]).status_code == 201
        assert http.post("/events", json=bodies[0]).status_code == 200


@pytest.mark.slow
def test_a_silent_sql_server_is_503_by_the_deadline_and_the_details_are_withdrawn(
    deadline_settings: Settings, silent_port: int, dynamodb: Any
) -> None:
    silent = sql_store(FREETDS_URL.format(port=silent_port), timeout_seconds=30)
    with (
        LiveServer(app_with(deadline_settings, metadata=silent)) as url,
        httpx.Client(base_url=url, timeout=30) as http,
    ):
        assert_unavailable(timed(http, "POST", "/events", json=make_event()), "metadata")
        assert_unavailable(timed(http, "GET", "/events/someone"), "metadata")
    assert details_items(dynamodb, deadline_settings.details_table) == []


@pytest.mark.slow
def test_a_silent_dynamodb_is_503_by_the_deadline_through_both_doors(
    deadline_settings: Settings, silent_port: int
) -> None:
    silent = details_store_at(deadline_settings, f"http://127.0.0.1:{silent_port}")
    with (
        LiveServer(app_with(deadline_settings, details=silent)) as url,
        httpx.Client(base_url=url, timeout=30) as http,
    ):
        answer = timed(http, "POST", "/events", json=make_event(), withdrawing=True)
        assert_unavailable(answer, "details")
        mutation = {"query": RECORD, "variables": {"input": make_event()}}
        result = timed(http, "POST", "/graphql", json=mutation, withdrawing=True).json()
        assert result["errors"][0]["extensions"] == {
            "code": "SERVICE_UNAVAILABLE",
            "store": "details",
        }


class SlowProxy:
    """A TCP proxy to `port` that holds each answer back for `delay` seconds: a slow store."""

    def __init__(self, port: int, delay: float) -> None:
        self.port, self.delay = port, delay
        self.listener = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.port))
            threading.Thread(target=self._pipe, args=(client, upstream, 0.0), daemon=True).start()
            threading.Thread(
                target=self._pipe, args=(upstream, client, self.delay), daemon=True
            ).start()

    @staticmethod
    def _pipe(source: socket.socket, target: socket.socket, delay: float) -> None:
        try:
            while data := source.recv(65536):
                time.sleep(delay)
                target.sendall(data)
        except OSError:
            pass
        finally:
            target.close()


@pytest.fixture
def slow_dynamodb(moto_endpoint: str) -> Iterator[str]:
    proxy = SlowProxy(int(moto_endpoint.rsplit(":", 1)[1]), delay=0.6)
    yield proxy.url
    proxy.listener.close()


@pytest.mark.slow
def test_a_slow_claim_then_a_hung_insert_still_answer_by_the_deadline(
    deadline_settings: Settings, silent_port: int, slow_dynamodb: str
) -> None:
    settings = deadline_settings.model_copy(update={"request_timeout_seconds": 2.5})
    slow = details_store_at(settings, slow_dynamodb)
    silent = sql_store(FREETDS_URL.format(port=silent_port), timeout_seconds=30)
    body = make_event(eventId=str(uuid.uuid4()))
    with (
        LiveServer(app_with(settings, metadata=silent, details=slow)) as url,
        httpx.Client(base_url=url, timeout=30) as http,
    ):
        began = time.monotonic()
        assert_unavailable(http.post("/events", json=body), "metadata")
        took = time.monotonic() - began
    assert took < 2.5 + MARGIN_SECONDS, took
    with LiveServer(app_with(settings)) as url, httpx.Client(base_url=url, timeout=30) as http:
        assert http.get(f"/events/{body['userId']}").json()["events"] == []
        assert http.post("/events", json=body).status_code == 201


# Short, so that a run outlasts it within seconds; far above what a batch of 100 takes.
KEEP_ALIVE_TIMEOUT_SECONDS = 2.0


@pytest.mark.slow
def test_later_requests_on_a_keep_alive_connection_never_inherit_a_deadline(
    settings: Settings,
) -> None:
    """A batch big enough that uvicorn pauses reading it hands its context on to the next
    requests of its connection (this uvicorn resets no context between requests): each must
    still get a deadline of its own, long after the batch's has passed."""
    timeout = {"request_timeout_seconds": KEEP_ALIVE_TIMEOUT_SECONDS}
    with LiveServer(app_with(settings.model_copy(update=timeout))) as url:
        run = keep_alive_run(url, seconds=KEEP_ALIVE_TIMEOUT_SECONDS + 1.5, batch_every=20)
    run.assert_all_answered_as_documented()


@pytest.mark.slow
@pytest.mark.parametrize("door", ["REST", "GraphQL"])
def test_a_jwks_that_trickles_is_503_auth_by_the_request_deadline(
    settings: Settings, issuer: LocalIssuer, door: str
) -> None:
    """Its bytes come well within the JWKS timeout, its whole body in over ten seconds: the
    request that fetches it answers by its own deadline, naming the issuer's keys."""
    with StubJwks(issuer.jwks()) as jwks:
        jwks.pause_seconds = 0.01
        checking = with_issuer(
            settings,
            issuer,
            auth_jwks_url=jwks.url,
            auth_jwks_timeout_seconds=10,
            request_timeout_seconds=DEADLINE_SECONDS,
        )
        token = bearer(issuer.token("user-42"))
        with (
            LiveServer(app_with(checking)) as url,
            httpx.Client(base_url=url, timeout=30) as http,
        ):
            if door == "REST":
                answer = timed(http, "GET", "/events/user-42", headers=token)
            else:
                answer = timed(http, "POST", "/graphql", json={"query": QUERY}, headers=token)
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "2"
    detail = "The token issuer's signing keys cannot be fetched right now; retry later."
    if door == "REST":
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json() == {
            "type": "urn:eventlog:problem:auth-unavailable",
            "title": "Token issuer unavailable",
            "status": 503,
            "detail": detail,
            "requestId": answer.headers["x-request-id"],
            "store": "auth",
        }
    else:
        assert answer.json() == {
            "errors": [
                {
                    "message": detail,
                    "extensions": {"code": "SERVICE_UNAVAILABLE", "store": "auth"},
                }
            ]
        }
