"""Connections for every thread: the DynamoDB client keeps as many as anyio may run blocking
calls at once, plus the details store's batch writers, so none is opened and thrown away per
request under load."""

import logging
from concurrent.futures import ThreadPoolExecutor

import anyio
import httpx
import pytest

from gateway.settings import Settings
from gateway.stores import dynamodb_client
from gateway.workers import WORKER_THREADS
from tests.factories import make_event


def test_the_worker_threads_are_anyios_and_the_client_keeps_a_connection_for_each(
    settings: Settings,
) -> None:
    async def default_limit() -> float:
        return anyio.to_thread.current_default_thread_limiter().total_tokens

    assert anyio.run(default_limit) == WORKER_THREADS
    client = dynamodb_client(settings, settings.dynamodb_endpoint)
    # One for each worker, and one for each of the details store's writers and withdrawers.
    expected = WORKER_THREADS + 2 * settings.dynamodb_parallel_writes
    # botocore-stubs do not declare the option; botocore sets it on the config.
    assert client.meta.config.max_pool_connections == expected  # type: ignore[attr-defined]


@pytest.mark.slow
def test_many_clients_at_once_never_overflow_the_connection_pool(
    live_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    user = "pool-user"
    with httpx.Client(base_url=live_url) as http:
        assert http.post("/events", json=make_event(userId=user)).status_code == 201

    def read(_: int) -> int:
        with httpx.Client(base_url=live_url, timeout=30) as http:
            return http.get(f"/events/{user}").status_code

    with (
        caplog.at_level(logging.WARNING, logger="urllib3.connectionpool"),
        ThreadPoolExecutor(30) as pool,
    ):
        assert set(pool.map(read, range(90))) == {200}
    assert [r.getMessage() for r in caplog.records if "pool is full" in r.getMessage()] == []
