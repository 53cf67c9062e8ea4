"""The claim checks' two Lambda handlers as Lambda runs them, in a process of their own with
nothing but their environment: the stream's batch (as `sam local generate-event dynamodb
update` shapes it) queues the checks in SQS (moto's server), and the queue's batch, as SQS
hands it to Lambda, removes the orphans and leaves the event recorded whole. Each invocation
writes one EMF line with its counts."""

import json
import os
import subprocess
import sys
import time
import uuid
from typing import Any

import boto3

from gateway.app import build_resolver
from gateway.settings import Settings
from gateway.stores import open_stores
from persistence.details import DynamoDetailStore
from schema.access import Caller
from tests.claim_events import stream_records
from tests.emf import assert_valid_emf
from tests.factories import make_event
from tests.stores import TEST_CURSOR_SECRET

SCRIPT = """
import json, sys
import boto3
from gateway.entrypoints.claim_checks import check_handler, schedule_handler
from tests.claim_events import queue_records

records, queue_url, endpoint = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
print(json.dumps(schedule_handler({"Records": records}, None)))
sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1")
messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
print(json.dumps(check_handler({"Records": queue_records(messages)}, None)))
"""


def test_the_stream_handler_queues_and_the_queue_handler_removes_the_orphans(
    settings: Settings, moto_endpoint: str
) -> None:
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint, region_name="us-east-1")
    queue_url = sqs.create_queue(QueueName=f"checks-{uuid.uuid4().hex[:10]}")["QueueUrl"]
    two_hours_ago_ms = time.time_ns() // 1_000_000 - 2 * 3600 * 1000
    with open_stores(settings) as stores:
        whole = make_event(eventId=str(uuid.uuid4()))
        build_resolver(settings, stores).record_event(whole, caller=Caller.anyone())
        orphan = str(uuid.uuid4())
        old = DynamoDetailStore(
            settings.details_table, stores.dynamodb, clock_ms=lambda: two_hours_ago_ms
        )
        old.claim(orphan, "victim", {"k": 1}, "hash", uuid.uuid4().hex)
    records: list[Any] = stream_records([orphan, whole["eventId"]], made_s=time.time() - 7200)
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVENTLOG_")} | {
        "EVENTLOG_DATABASE_URL": settings.database_url,
        "EVENTLOG_DYNAMODB_ENDPOINT": settings.dynamodb_endpoint,
        "EVENTLOG_DETAILS_TABLE": settings.details_table,
        "EVENTLOG_CURSOR_SECRET": TEST_CURSOR_SECRET,
        "EVENTLOG_AUTH": "none",
        "EVENTLOG_RECONCILE_APPLY": "true",
        "EVENTLOG_RECONCILE_QUEUE_URL": queue_url,
        "EVENTLOG_SQS_ENDPOINT": moto_endpoint,
        "EVENTLOG_METRICS": "emf",
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(records), queue_url, moto_endpoint],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    schedule_emf, scheduled, check_emf, checked = lines[-4:]
    for emf in (schedule_emf, check_emf):
        assert_valid_emf(emf)
    assert schedule_emf["ClaimChecksQueued"] == 2 and schedule_emf["JobDuration.claim_schedule"] > 0
    assert {
        name: check_emf[name] for name in ("ItemsScanned", "OrphansFound", "OrphansDeleted")
    } == {
        "ItemsScanned": 2,
        "OrphansFound": 1,
        "OrphansDeleted": 1,
    }
    assert check_emf["JobDuration.claim_check"] > 0 and "ReconcileFailures" not in check_emf
    assert scheduled == {"queued": 2}
    assert checked["batchItemFailures"] == []
    assert (checked["summary"]["orphans"], checked["summary"]["orphans_deleted"]) == (1, 1)
    with open_stores(settings) as stores:
        assert stores.details.versions([orphan, whole["eventId"]]).keys() == {whole["eventId"]}
