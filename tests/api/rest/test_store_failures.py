"""Stores down, silent or failing half-way: 503 with Retry-After, nothing visible, and the same
request succeeding exactly once when the store is back."""

import uuid
from collections.abc import Sequence
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from gateway.settings import Settings
from persistence.metadata import SqlMetadataStore
from persistence.protocols import EventRecord
from schema.errors import StoreUnavailable
from tests.api.conftest import BrokenMetadataStore, LiveServer, app_with, details_store_at
from tests.conftest import FREETDS_URL, closed_port, sql_store
from tests.docs import answer_checked_by, assert_answer_matches_printed
from tests.factories import make_event


def assert_unavailable(response: httpx.Response, store: str) -> None:
    assert response.status_code == 503
    assert response.headers["retry-after"] == "2"
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert (problem["type"], problem["store"]) == ("urn:eventlog:problem:unavailable", store)
    assert problem["detail"] == f"The {store} store is unavailable; retry the same request later."


def details_items(dynamodb: Any, table: str) -> list[dict[str, Any]]:
    return list(dynamodb.scan(TableName=table)["Items"])


def test_dynamodb_refusing_connections_is_503_and_no_row_is_written(settings: Settings) -> None:
    down = details_store_at(settings, f"http://127.0.0.1:{closed_port()}")
    app = app_with(settings, details=down)
    with TestClient(app) as client:
        body = make_event(eventId=str(uuid.uuid4()))
        assert_unavailable(client.post("/events", json=body), "details")
        ready = client.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json()["stores"] == {"metadata": "ok", "details": "unavailable"}
        assert ready.json()["detail"] == "Not answering: details."
    with TestClient(app_with(settings)) as client:
        assert client.get(f"/events/{body['userId']}").json()["events"] == []
        assert client.post("/events", json=body).status_code == 201


def test_the_503_docs_rest_md_prints_is_the_answer_of_a_details_store_down(
    settings: Settings,
) -> None:
    down = details_store_at(settings, f"http://127.0.0.1:{closed_port()}")
    with TestClient(app_with(settings, details=down)) as client:
        response = client.post("/events", json=make_event())
    assert_answer_matches_printed(
        f"HTTP/1.1 {response.status_code} {response.reason_phrase}",
        response.headers,
        response.text,
        answer_checked_by("tests/api/rest/test_store_failures.py"),
    )


@pytest.mark.slow
def test_dynamodb_that_never_answers_times_out_within_the_configured_bound(
    settings: Settings, silent_port: int
) -> None:
    quick = settings.model_copy(
        update={"dynamodb_connect_timeout_seconds": 0.5, "dynamodb_read_timeout_seconds": 0.5}
    )
    silent = details_store_at(quick, f"http://127.0.0.1:{silent_port}")
    # The client gives up long before a hang would end: 1 attempt x (0.5 s + 0.5 s), plus slack.
    with (
        LiveServer(app_with(quick, details=silent)) as url,
        httpx.Client(base_url=url, timeout=10) as http,
    ):
        assert_unavailable(http.post("/events", json=make_event()), "details")


def test_sql_server_refusing_connections_is_503_and_the_details_are_withdrawn(
    settings: Settings, dynamodb: Any
) -> None:
    down = sql_store(FREETDS_URL.format(port=closed_port()))
    with TestClient(app_with(settings, metadata=down)) as client:
        assert_unavailable(client.post("/events", json=make_event()), "metadata")
        assert_unavailable(client.get("/events/someone"), "metadata")
        ready = client.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json()["stores"] == {"metadata": "unavailable", "details": "ok"}
    assert details_items(dynamodb, settings.details_table) == []


@pytest.mark.slow
def test_sql_server_that_never_answers_times_out_within_the_configured_bound(
    settings: Settings, silent_port: int
) -> None:
    silent = sql_store(FREETDS_URL.format(port=silent_port), timeout_seconds=1)
    with (
        LiveServer(app_with(settings, metadata=silent)) as url,
        httpx.Client(base_url=url, timeout=10) as http,
    ):
        assert_unavailable(http.post("/events", json=make_event()), "metadata")
        assert_unavailable(http.get("/events/someone"), "metadata")


class FailingInserts:
    """The real SQL store, whose next `failures` inserts fail before anything is committed."""

    def __init__(self, real: SqlMetadataStore, failures: int) -> None:
        self.real = real
        self.failures = failures

    def insert_many(self, records: Sequence[EventRecord], **options: Any) -> None:
        if self.failures:
            self.failures -= 1
            raise StoreUnavailable("metadata")
        self.real.insert_many(records, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@pytest.mark.slow
def test_a_row_write_failing_after_the_details_write_leaves_nothing_and_the_retry_succeeds_once(
    settings: Settings, dynamodb: Any
) -> None:
    app_with(settings)  # creates the tables
    flaky = FailingInserts(sql_store(settings.database_url), failures=1)
    body = make_event(eventId=str(uuid.uuid4()))
    with TestClient(app_with(settings, metadata=flaky)) as client:
        assert_unavailable(client.post("/events", json=body), "metadata")
        assert details_items(dynamodb, settings.details_table) == []
        assert client.get(f"/events/{body['userId']}").json()["events"] == []
        assert client.get(f"/events/{body['userId']}/{body['eventId']}").status_code == 404
        retried = client.post("/events", json=body)
        assert retried.status_code == 201
        assert client.post("/events", json=body).status_code == 200
        assert [e["eventId"] for e in client.get(f"/events/{body['userId']}").json()["events"]] == [
            body["eventId"]
        ]
    assert len(details_items(dynamodb, settings.details_table)) == 1


def test_an_unexpected_error_is_a_bare_500_problem(settings: Settings) -> None:
    broken = app_with(settings, metadata=BrokenMetadataStore())
    with TestClient(broken, raise_server_exceptions=False) as client:
        response = client.get(f"/events/u/{uuid.uuid4()}")
    assert response.status_code == 500
    assert response.json() == {
        "type": "urn:eventlog:problem:internal",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "Something went wrong on our side; quote the requestId when reporting it.",
        "requestId": response.headers["x-request-id"],
    }
    assert "SELECT" not in response.text


@pytest.mark.slow
@pytest.mark.parametrize("copies", [8])
def test_concurrent_identical_posts_store_exactly_one_event(
    http: httpx.Client, copies: int
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    body = make_event(eventId=str(uuid.uuid4()))
    url = str(http.base_url)

    def send(_: int) -> httpx.Response:
        with httpx.Client(base_url=url, timeout=30) as client:
            return client.post("/events", json=body)

    with ThreadPoolExecutor(copies) as pool:
        responses = list(pool.map(send, range(copies)))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * (copies - 1) + [201], [response.text for response in responses]
    assert len({response.text for response in responses}) == 1
    assert len(http.get(f"/events/{body['userId']}").json()["events"]) == 1
