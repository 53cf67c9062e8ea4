"""The public readiness probe costs the stores one check a second, however often it is asked."""

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from gateway.rest.probes import READY_CACHE_SECONDS, READY_CHECK_SECONDS, CachedReadiness
from gateway.settings import Settings
from persistence.deadline import deadline_after, remaining_seconds
from schema.errors import StoreName
from tests.api.store_calls import counted_app

READY = {"status": "ready", "stores": {"metadata": "ok", "details": "ok"}}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_many_probes_within_a_second_cost_the_stores_one_check(settings: Settings) -> None:
    clock = Clock()
    with counted_app(settings) as (client, calls):
        client.app.state.readiness = CachedReadiness(clock=clock)  # type: ignore[attr-defined]
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: client.get("/health/ready"), range(40)))
        assert {(answer.status_code, answer.text) for answer in answers} == {
            (200, '{"status":"ready","stores":{"metadata":"ok","details":"ok"}}')
        }
        assert (calls.counts["sql SELECT"], calls.counts["dynamodb DescribeTable"]) == (1, 1)
        clock.now += READY_CACHE_SECONDS
        assert client.get("/health/ready").json() == READY
        assert (calls.counts["sql SELECT"], calls.counts["dynamodb DescribeTable"]) == (2, 2)


def test_a_table_gone_is_reported_once_the_second_is_over(
    settings: Settings, dynamodb: Any
) -> None:
    clock = Clock()
    with counted_app(settings) as (client, calls):
        client.app.state.readiness = CachedReadiness(clock=clock)  # type: ignore[attr-defined]
        assert client.get("/health/ready").json() == READY
        dynamodb.delete_table(TableName=settings.details_table)
        assert client.get("/health/ready").json() == READY  # this second's check
        assert calls.counts["dynamodb DescribeTable"] == 1
        clock.now += READY_CACHE_SECONDS
        answer = client.get("/health/ready")
        assert answer.status_code == 503
        assert answer.json()["stores"] == {"metadata": "ok", "details": "unavailable"}


def test_a_check_of_the_stores_has_a_few_seconds_not_the_request_deadline() -> None:
    """A store that does not answer is reported within READY_CHECK_SECONDS: every store call
    of the check runs under that deadline (the stores' own tests show their calls keep it)."""
    seen: list[float | None] = []

    def check() -> list[StoreName]:
        seen.append(remaining_seconds())
        return ["details"]

    with deadline_after(15.0):
        assert CachedReadiness(clock=Clock()).failing(check) == ["details"]
    assert len(seen) == 1 and seen[0] is not None
    assert 0 < seen[0] <= READY_CHECK_SECONDS
