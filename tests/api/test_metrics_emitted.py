"""Every metric the catalogue declares is emitted by the code that does what it counts, not only
declared (an alarm on a metric nothing sets stays OK for ever): the app over HTTP on SQLite and
moto (writes, replays, conflicts, batches, erasure, a SQL writer locked out, DynamoDB
throttling), and each job's run as its Lambda function makes it (reconcile, retention, both
claim-check functions), one failing."""

import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.entrypoints.claim_checks import checked, queue_of, scheduled
from gateway.entrypoints.job_metrics import measured_run
from gateway.entrypoints.reconcile import reconcile, run_counts
from gateway.entrypoints.retention import remove_expired
from gateway.settings import Settings
from gateway.stores import open_stores
from persistence.metric_catalogue import CATALOGUE, Metric
from persistence.telemetry import RequestRecord, Telemetry
from tests.api.apps import FlakyDynamoDB
from tests.claim_events import queue_records, stream_records
from tests.factories import make_event, unique_user


class Recorded:
    """A sink that keeps the name of every metric it is given."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def add(self, metric: Metric, value: float, labels: tuple[str, ...]) -> None:
        self.names.add(metric.name)

    def flush(self, record: RequestRecord | None) -> None:
        """Nothing is written."""


def requests(settings: Settings, telemetry: Telemetry) -> None:
    user, event_id = unique_user(), str(uuid.uuid4())
    event = make_event(userId=user, eventId=event_id)
    with (
        open_stores(settings, telemetry=telemetry) as stores,
        TestClient(create_app(settings, stores, telemetry=telemetry)) as client,
    ):
        assert client.post("/events", json=event).status_code == 201
        assert client.post("/events", json=event).status_code == 200
        assert client.post("/events", json={**event, "details": {"x": 1}}).status_code == 409
        batch = {"events": [make_event(userId=user), {"userId": user}]}
        assert client.post("/events/batch", json=batch).status_code == 200
        assert client.delete(f"/events/{user}").status_code == 200
        # Another writer holds SQLite's write lock: the row write fails after the claim, which
        # is released.
        locker = sqlite3.connect(settings.database_url.removeprefix("sqlite:///"))
        locker.execute("BEGIN IMMEDIATE")
        try:
            assert client.post("/events", json=make_event()).status_code == 503
        finally:
            locker.rollback()
            locker.close()


def throttled(settings: Settings, flaky: FlakyDynamoDB, telemetry: Telemetry) -> None:
    flaky.answer = (400, b'{"__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException"}')
    failing = settings.model_copy(
        update={"dynamodb_endpoint": flaky.url, "dynamodb_max_attempts": 2}
    )
    with (
        open_stores(failing, telemetry=telemetry) as stores,
        TestClient(create_app(failing, stores, telemetry=telemetry)) as client,
    ):
        assert client.post("/events", json=make_event()).status_code == 503


def jobs(settings: Settings, moto_endpoint: str, telemetry: Telemetry, tmp_path: Path) -> None:
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint, region_name="us-east-1")
    url = sqs.create_queue(QueueName=f"checks-{uuid.uuid4().hex[:10]}")["QueueUrl"]
    job = settings.model_copy(
        update={"reconcile_queue_url": url, "sqs_endpoint": moto_endpoint, "retention_days": 30}
    )
    orphan = str(uuid.uuid4())
    with open_stores(job) as stores:
        stores.details.claim(orphan, "victim", {"k": 1}, "hash", uuid.uuid4().hex)
    made = stream_records([orphan], made_s=time.time() - 7200)
    assert scheduled(made, job, lambda: queue_of(job), telemetry) == {"queued": 1}
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    with open_stores(job) as stores:
        checked(queue_records(messages), job, lambda: stores, lambda: queue_of(job), telemetry)

    def swept() -> Any:
        return reconcile(job, apply=True, segments=1, progress=None, telemetry=telemetry)

    measured_run(telemetry, "reconcile", swept, run_counts)
    remove_expired(job, telemetry)
    unreachable = job.model_copy(
        update={"database_url": f"sqlite:///{tmp_path / 'no-such-folder' / 'events.db'}"}
    )
    with pytest.raises(Exception, match=r"unable to open|unavailable"):
        remove_expired(unreachable, telemetry)


def test_every_metric_the_catalogue_declares_is_emitted_where_its_fact_happens(
    settings: Settings, flaky_dynamodb: Any, moto_endpoint: str, tmp_path: Path
) -> None:
    sink = Recorded()
    telemetry = Telemetry(sink)
    quick = settings.model_copy(update={"sql_query_timeout_seconds": 1})
    requests(quick, telemetry)
    throttled(settings, flaky_dynamodb({"UpdateItem"}), telemetry)
    jobs(settings, moto_endpoint, telemetry, tmp_path)
    assert {metric.name for metric in CATALOGUE} - sink.names == set()
