"""What a request body may cost a real server (uvicorn, over sockets): an oversized body is
refused without being read, a body that stops arriving is given up, and either answer closes the
connection, for both doors."""

import json
import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from gateway.app import create_app
from gateway.settings import Settings
from tests.api.apps import LiveServer
from tests.docs import answer_checked_by, assert_answer_matches_printed
from tests.wire import HANG_GUARD_SECONDS, Answer, Wire

GIB = 1 << 30
JSON = {"content-type": "application/json"}


@pytest.fixture
def url(settings: Settings) -> Iterator[str]:
    quick = settings.model_copy(update={"body_read_timeout_seconds": 0.5})
    with LiveServer(create_app(quick)) as url:
        yield url


@pytest.fixture
def patient_url(settings: Settings) -> Iterator[str]:
    """A server whose read timeout no loaded machine reaches: for the tests of size alone."""
    with LiveServer(create_app(settings)) as url:
        yield url


def problem(answer: Answer) -> tuple[int, str, str, str]:
    body = json.loads(answer.body)
    return answer.status, answer.headers["content-type"], body["type"], body["detail"]


def graphql_error(answer: Answer) -> tuple[int, str, object]:
    return answer.status, answer.headers["content-type"], json.loads(answer.body)


TOO_LARGE = (
    413,
    "application/problem+json",
    "urn:eventlog:problem:too-large",
    "The body exceeds 147456 bytes.",
)
TOO_SLOW = (
    408,
    "application/problem+json",
    "urn:eventlog:problem:body-timeout",
    "The body did not arrive within 0.5 s.",
)


def test_a_declared_gib_is_refused_at_once_and_the_rest_is_never_read(url: str) -> None:
    with Wire(url) as wire:
        wire.send("POST", "/events", JSON | {"content-length": str(GIB)}, b'{"userId": ')
        answer = wire.answer()
        assert problem(answer) == TOO_LARGE
        assert answer.headers["connection"] == "close"
        assert wire.closed_by_server()


def test_a_body_that_stops_arriving_is_408_and_the_connection_closes(url: str) -> None:
    with Wire(url) as wire:
        wire.send("POST", "/events", JSON | {"content-length": "100"}, b'{"userId": "u1"')
        answer = wire.answer()
        assert problem(answer) == TOO_SLOW
        assert answer.headers["connection"] == "close"
        assert wire.closed_by_server()


def test_a_chunked_body_past_the_limit_is_413_and_the_connection_closes(patient_url: str) -> None:
    with Wire(patient_url) as wire:
        wire.send("POST", "/events", JSON | {"transfer-encoding": "chunked"}, b" " * 200_000)
        answer = wire.answer()
        assert problem(answer) == TOO_LARGE
        assert wire.closed_by_server()


def test_the_graphql_door_answers_the_same_as_graphql_errors(url: str) -> None:
    with Wire(url) as wire:
        wire.send("POST", "/graphql", JSON | {"content-length": str(GIB)}, b'{"query": ')
        answer = wire.answer()
        assert graphql_error(answer) == (
            413,
            "application/graphql-response+json; charset=utf-8",
            {
                "errors": [
                    {
                        "message": "The body exceeds 1048576 bytes.",
                        "extensions": {"code": "PAYLOAD_TOO_LARGE"},
                    }
                ]
            },
        )
        assert wire.closed_by_server()
    with Wire(url) as wire:
        wire.send("POST", "/graphql", JSON | {"content-length": "100"}, b'{"query": ')
        answer = wire.answer()
        assert graphql_error(answer)[0:2] == (
            408,
            "application/graphql-response+json; charset=utf-8",
        )
        assert json.loads(answer.body)["errors"][0]["extensions"] == {"code": "REQUEST_TIMEOUT"}
        assert wire.closed_by_server()


@pytest.mark.slow
def test_many_stalled_bodies_are_all_given_up_while_the_server_keeps_answering(url: str) -> None:
    def stalled(_: int) -> tuple[int, bool]:
        with Wire(url) as wire:
            wire.send("POST", "/events", JSON | {"content-length": "1000"}, b"{")
            return wire.answer().status, wire.closed_by_server()

    with ThreadPoolExecutor(50) as pool:
        pending = pool.map(stalled, range(50))
        with Wire(url) as wire:
            wire.send("GET", "/health", {})
            assert wire.answer().status == 200
        assert list(pending) == [(408, True)] * 50


def test_an_answer_that_did_not_need_the_body_closes_the_connection(url: str) -> None:
    with Wire(url) as wire:
        wire.send("POST", "/health", JSON | {"content-length": str(GIB)}, b"{")
        answer = wire.answer()
        assert (answer.status, answer.headers["connection"]) == (405, "close")
        assert wire.closed_by_server()


def test_a_body_read_to_its_end_keeps_the_connection_for_the_next_request(url: str) -> None:
    body = json.dumps({"userId": "keep-alive", "eventType": "click"}).encode()
    with Wire(url) as wire:
        for _ in range(2):
            wire.send("POST", "/events", JSON | {"content-length": str(len(body))}, body)
            answer = wire.answer()
            assert answer.status == 201
            assert "connection" not in answer.headers
            wire.next_cycle()


@pytest.mark.slow
def test_the_408_docs_rest_md_prints_is_the_answer_to_a_body_that_stopped(
    settings: Settings,
) -> None:
    """With the default read timeout (this test waits for it, 10 s)."""
    with LiveServer(create_app(settings)) as url, Wire(url) as wire:
        wire.send("POST", "/events", JSON | {"content-length": "100"}, b'{"userId":')
        answer = wire.answer()
    assert_answer_matches_printed(
        answer.status_line,
        answer.headers,
        answer.body.decode(),
        answer_checked_by("tests/api/test_body_guard.py"),
    )


def test_a_client_that_leaves_mid_body_is_logged_as_gone_not_as_an_error(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Nothing went wrong in the server: no `unhandled error` line for a dropped upload, and the
    access line says 499, nginx's "client closed request"."""
    with caplog.at_level(logging.INFO):
        with Wire(url) as wire:
            wire.send("POST", "/events", JSON | {"content-length": "100"}, b'{"userId": ')
        deadline = time.monotonic() + HANG_GUARD_SECONDS
        while time.monotonic() < deadline and not any(
            getattr(record, "access", {}).get("path") == "/events" for record in caplog.records
        ):
            time.sleep(0.05)
    access = [
        r.__dict__["access"]
        for r in caplog.records
        if getattr(r, "access", {}).get("path") == "/events"
    ]
    assert [line["status"] for line in access] == [499]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
