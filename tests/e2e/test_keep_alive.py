"""`make run`'s server under clients that keep their connections open: a long run on one
connection, and concurrent ones mixing batches and single events, each answered as documented
with no store failing, long after the first request's deadline; and log lines written between
requests that name no request."""

import json
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.servers import RunningServer, serve
from tests.keep_alive import keep_alive_run, pausing_batch
from tests.wire import Wire

# Short, so that each run outlasts it within seconds; far above what any of its requests takes.
TIMEOUT_SECONDS = 3.0
CONNECTIONS = 10


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    """One server for the runs (each run is a user of its own), its log read and dropped as it
    comes: a pipe nobody reads would fill with thousands of access lines, and a server that
    cannot write its log stops answering."""
    for running in serve(EVENTLOG_REQUEST_TIMEOUT_SECONDS=str(TIMEOUT_SECONDS)):
        assert running.process.stderr is not None
        threading.Thread(target=deque, args=(running.process.stderr, 0), daemon=True).start()
        yield running


def test_a_long_run_on_one_connection_is_answered_as_documented(server: RunningServer) -> None:
    run = keep_alive_run(server.url, seconds=TIMEOUT_SECONDS + 2, batch_every=25)
    run.assert_all_answered_as_documented()


def test_concurrent_connections_mixing_batches_and_singles_are_answered_as_documented(
    server: RunningServer,
) -> None:
    with ThreadPoolExecutor(CONNECTIONS) as pool:
        runs = list(
            pool.map(
                lambda _: keep_alive_run(server.url, seconds=TIMEOUT_SECONDS + 2, batch_every=5),
                range(CONNECTIONS),
            )
        )
    for run in runs:
        run.assert_all_answered_as_documented()


@pytest.fixture
def own_server() -> Iterator[RunningServer]:
    """A server of this test's own: the test stops it to read its whole log."""
    yield from serve()


def test_a_line_logged_between_requests_names_no_request(own_server: RunningServer) -> None:
    """After a batch whose body the server paused reading, the server answers a malformed
    request on the same connection (uvicorn logs it, outside any request of ours)."""
    server = own_server
    body = json.dumps(pausing_batch("user-7")).encode()
    headers = {
        "content-type": "application/json",
        "content-length": str(len(body)),
        "x-request-id": "the-batch",
    }
    with Wire(server.url) as wire:
        wire.send("POST", "/events/batch", headers, body)
        assert wire.answer().status == 200
        wire.next_cycle()
        wire.socket.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        refusal = b""
        while chunk := wire.socket.recv(65536):
            refusal += chunk
    assert refusal.startswith(b"HTTP/1.1 400 "), refusal
    assert server.stop() == 0
    lines = [json.loads(line) for line in server.stderr]
    assert [line["request_id"] for line in lines if line["logger"] == "eventlog.access"] == [
        "the-batch"
    ]
    refused = [line for line in lines if line["message"] == "Invalid HTTP request received."]
    assert [line["request_id"] for line in refused] == ["-"]
