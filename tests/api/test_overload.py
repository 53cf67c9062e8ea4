"""Overload: more batches at once than the stores can take by the deadline, over a real server
and `make run`'s stores (a SQLite file and dynalite). What a client sees is the documented
promise: each batch is either all created or a 503 by its deadline plus the withdrawal budget,
a 503's events are nowhere to be seen, and every withdrawal finishes within its budget. (A claim
the store applies after its caller stopped waiting for it can still leave an invisible orphan,
which a retry adopts or the reconcile job removes: an emulator behind on its queue does that.)

The time bound asserted is that correctness bound (the deadline, the withdrawal budget and a
margin for a busy machine), not a performance figure.
"""

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from resolvers.writes import WITHDRAW_BUDGET_SECONDS
from tests.api.apps import LiveServer, app_with
from tests.api.unavailable import assert_unavailable, details_items
from tests.factories import make_event
from tests.stores import store_settings

DEADLINE_SECONDS = 1.5
MARGIN_SECONDS = 2.0
BATCHES = 16
BATCH_SIZE = 100


def realistic_batch(user: str) -> dict[str, Any]:
    details = {
        "page": "/pricing",
        "durationMs": 5120,
        "price": 19.90,
        "tags": ["pricing", "annual"],
        "viewport": {"width": 1280, "height": 720},
    }
    return {
        "events": [
            make_event(eventId=str(uuid.uuid4()), userId=user, details=details)
            for _ in range(BATCH_SIZE)
        ]
    }


def test_concurrent_batches_beyond_the_stores_answer_by_the_deadline_and_withdraw_in_time(
    tmp_path: Path, dynalite_endpoint: str, details_table: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = store_settings(
        tmp_path / "events.db",
        dynalite_endpoint,
        details_table,
        request_timeout_seconds=DEADLINE_SECONDS,
        dynamodb_max_attempts=3,
    )
    users = [f"overload-{n}-{uuid.uuid4().hex[:8]}" for n in range(BATCHES)]
    with LiveServer(app_with(settings)) as url:

        def send(user: str) -> tuple[httpx.Response, float]:
            with httpx.Client(base_url=url, timeout=60) as http:
                began = time.monotonic()
                answer = http.post("/events/batch", json=realistic_batch(user))
                return answer, time.monotonic() - began

        with ThreadPoolExecutor(BATCHES) as clients:
            answers = list(clients.map(send, users))
        with httpx.Client(base_url=url, timeout=30) as http:
            listed = {
                user: len(http.get(f"/events/{user}", params={"limit": 1000}).json()["events"])
                for user in users
            }
    bound = DEADLINE_SECONDS + WITHDRAW_BUDGET_SECONDS + MARGIN_SECONDS
    assert [took for _, took in answers if took > bound] == []
    created: set[str] = set()
    for user, (answer, _) in zip(users, answers, strict=True):
        if answer.status_code == 503:
            # Cut in its claims (details) or in its commit (metadata).
            assert_unavailable(answer, answer.json()["store"])
            assert listed[user] == 0
        else:
            assert answer.status_code == 200, answer.text
            assert answer.json()["counts"]["created"] == BATCH_SIZE
            assert listed[user] == BATCH_SIZE
            created |= {result["event"]["eventId"] for result in answer.json()["results"]}
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=dynalite_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    held = {item["eventId"]["S"] for item in details_items(dynamodb, details_table)}
    assert created <= held
    assert [r.getMessage() for r in caplog.records if "could not withdraw" in r.getMessage()] == []
