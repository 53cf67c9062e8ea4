"""The delayed claim checks against the real stores: SQLite, DynamoDB over HTTP (moto and
dynalite), SQS over HTTP (moto's server). Every crash window of the write protocol leaves an
orphan whose claim's check, once due, removes it; a claim still in its grace period is queued
again; a retry that adopts the orphan during the check keeps it; no event a client can see is
touched. moto also serves DynamoDB Streams, so there the records come from the table's own
stream; dynalite has no stream (it implements no Streams API), so there the records are the
ones `sam local generate-event dynamodb update` makes, keyed by the claims made."""

import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

import boto3
import pytest

from gateway.claim_checks import check_messages, queue_of
from gateway.resolvers import EventResolver
from gateway.resolvers.claim_checks import DELAY_MARGIN_SECONDS, ClaimChecker, schedule
from gateway.settings import Settings
from gateway.stores import Stores, open_stores
from persistence.check_queue import SqsCheckQueue
from persistence.details import DynamoDetailStore
from persistence.metadata import SqlMetadataStore
from persistence.protocols import EventRecord
from schema.access import Caller
from schema.errors import StoreUnavailable
from schema.events import EventListQuery
from schema.limits import Limits
from tests.claim_events import queue_records, stream_records
from tests.factories import make_event

ANYONE = Caller.anyone()
HOUR_MS = 3600 * 1000


class Crash(BaseException):
    """The process dies here: no handler runs (not an Exception)."""


class CrashingRows:
    """The real SQL store, whose next insert crashes the process or ends in doubt unlanded."""

    def __init__(self, real: SqlMetadataStore, how: str) -> None:
        self.real, self.how = real, how

    def insert_many(self, records: Sequence[EventRecord], **options: Any) -> None:
        if self.how == "crash":
            raise Crash
        raise StoreUnavailable("metadata", in_doubt=True)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@pytest.fixture
def sqs(moto_endpoint: str) -> Any:
    return boto3.client("sqs", endpoint_url=moto_endpoint, region_name="us-east-1")


@pytest.fixture
def job_settings(emulator_settings: Settings, sqs: Any, moto_endpoint: str) -> Settings:
    url = sqs.create_queue(QueueName=f"checks-{uuid.uuid4().hex[:10]}")["QueueUrl"]
    return emulator_settings.model_copy(
        update={"reconcile_queue_url": url, "sqs_endpoint": moto_endpoint, "reconcile_apply": True}
    )


@pytest.fixture
def stores(job_settings: Settings) -> Iterator[Stores]:
    with open_stores(job_settings) as opened:
        yield opened


def resolver(metadata: Any, details: Any) -> EventResolver:
    return EventResolver(metadata, details, limits=Limits(), cursor_secret=b"k" * 32)


def claimed_at(stores: Stores, settings: Settings, at_ms: int) -> DynamoDetailStore:
    """The details store of a writer whose clock reads `at_ms`."""
    return DynamoDetailStore(settings.details_table, stores.dynamodb, clock_ms=lambda: at_ms)


def crash_windows(stores: Stores, details: DynamoDetailStore) -> dict[str, str]:
    cut = {}
    for how in ("crash", "in-doubt"):
        body = make_event(userId="victim", eventId=str(uuid.uuid4()))
        with pytest.raises((Crash, StoreUnavailable)):
            resolver(CrashingRows(stores.metadata, how), details).record_event(body, caller=ANYONE)
        cut[how] = body["eventId"]
    whole = make_event(userId="victim", eventId=str(uuid.uuid4()))
    resolver(stores.metadata, details).record_event(whole, caller=ANYONE)
    cut["whole"] = whole["eventId"]
    return cut


def visible(stores: Stores, user_id: str) -> list[str]:
    page = resolver(stores.metadata, stores.details).list_events(
        user_id, EventListQuery(limit=1000), caller=ANYONE
    )
    return [str(event.event_id) for event in page.events]


def delivered(sqs: Any, settings: Settings) -> list[dict[str, Any]]:
    """What the queue delivers now (no wait)."""
    answer = sqs.receive_message(
        QueueUrl=settings.reconcile_queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
    )
    return list(answer.get("Messages", []))


def test_every_crash_window_is_checked_once_due_and_its_orphan_removed(
    stores: Stores, job_settings: Settings, sqs: Any
) -> None:
    two_hours_ago = now_ms() - 2 * HOUR_MS
    cut = crash_windows(stores, claimed_at(stores, job_settings, two_hours_ago))
    assert visible(stores, "victim") == [cut["whole"]]
    records = stream_records(list(cut.values()), made_s=two_hours_ago / 1000)
    queue = queue_of(job_settings)
    assert schedule(records, queue, grace_seconds=job_settings.reconcile_grace_seconds) == 3

    messages = delivered(sqs, job_settings)
    answer = check_messages(queue_records(messages), job_settings, stores, queue)
    assert answer["batchItemFailures"] == []
    assert answer["summary"] == {
        "applied": True,
        "checked": 3,
        "orphans": 2,
        "orphans_deleted": 2,
        "orphans_kept": 0,
        "checked_again_later": 0,
    }
    assert stores.details.versions(list(cut.values())).keys() == {cut["whole"]}
    assert visible(stores, "victim") == [cut["whole"]]


def test_a_check_that_comes_within_the_grace_period_is_queued_again_for_its_end(
    stores: Stores, job_settings: Settings, sqs: Any
) -> None:
    cut = crash_windows(stores, claimed_at(stores, job_settings, now_ms() - 60_000))
    queue = queue_of(job_settings)
    checker = ClaimChecker(
        stores.metadata, stores.details, queue, grace_seconds=job_settings.reconcile_grace_seconds
    )
    summary = checker.check([cut["crash"], cut["whole"]], apply=True)
    assert (summary.orphans, summary.orphans_deleted, summary.checked_again_later) == (0, 0, 1)
    assert stores.details.versions([cut["crash"]]).keys() == {cut["crash"]}
    assert delivered(sqs, job_settings) == []  # delayed: due in about 14 minutes
    attributes = sqs.get_queue_attributes(
        QueueUrl=job_settings.reconcile_queue_url, AttributeNames=["All"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessagesDelayed"] == "1"


def test_an_orphan_adopted_by_a_retry_while_it_is_checked_is_kept(
    stores: Stores, job_settings: Settings
) -> None:
    body = make_event(eventId=str(uuid.uuid4()))
    old = claimed_at(stores, job_settings, now_ms() - 2 * HOUR_MS)
    with pytest.raises(Crash):
        resolver(CrashingRows(stores.metadata, "crash"), old).record_event(body, caller=ANYONE)
    metadata = stores.metadata

    class RetryDuringTheCheck:
        def get_many(self, event_ids: Sequence[str]) -> Any:
            found = metadata.get_many(event_ids)
            assert resolver(metadata, stores.details).record_event(body, caller=ANYONE).created
            return found

        def __getattr__(self, name: str) -> Any:
            return getattr(metadata, name)

    checker = ClaimChecker(
        RetryDuringTheCheck(),
        stores.details,
        queue_of(job_settings),
        grace_seconds=job_settings.reconcile_grace_seconds,
    )
    summary = checker.check([body["eventId"]], apply=True)
    assert (summary.orphans, summary.orphans_deleted, summary.orphans_kept) == (1, 0, 1)
    assert visible(stores, body["userId"]) == [body["eventId"]]


def test_without_apply_the_orphans_are_counted_and_left(
    stores: Stores, job_settings: Settings, sqs: Any
) -> None:
    cut = crash_windows(stores, claimed_at(stores, job_settings, now_ms() - 2 * HOUR_MS))
    dry = job_settings.model_copy(update={"reconcile_apply": False})
    queue = queue_of(dry)
    queue.send(list(cut.values()), 0)
    answer = check_messages(queue_records(delivered(sqs, dry)), dry, stores, queue)
    assert (answer["summary"]["orphans"], answer["summary"]["orphans_deleted"]) == (2, 0)
    assert stores.details.versions(list(cut.values())).keys() == set(cut.values())


def test_a_message_whose_check_fails_is_named_for_sqs_to_deliver_again(
    stores: Stores, job_settings: Settings, sqs: Any
) -> None:
    class Down:
        def get_many(self, event_ids: Sequence[str]) -> Any:
            raise StoreUnavailable("metadata")

    cut = crash_windows(stores, claimed_at(stores, job_settings, now_ms() - 2 * HOUR_MS))
    queue = queue_of(job_settings)
    queue.send([cut["crash"]], 0)
    records = queue_records(delivered(sqs, job_settings))
    records.append(records[0] | {"messageId": "not-ours", "body": '{"hello": 1}'})
    answer = check_messages(records, job_settings, replace(stores, metadata=Down()), queue)  # type: ignore[arg-type]
    assert answer["batchItemFailures"] == [
        {"itemIdentifier": records[0]["messageId"]},
        {"itemIdentifier": "not-ours"},
    ]
    assert stores.details.versions([cut["crash"]]).keys() == {cut["crash"]}


def test_the_tables_own_stream_schedules_the_checks_on_moto(
    settings: Settings, sqs: Any, moto_endpoint: str
) -> None:
    """moto serves DynamoDB Streams: the keys come from the records the writes made."""
    url = sqs.create_queue(QueueName=f"checks-{uuid.uuid4().hex[:10]}")["QueueUrl"]
    job = settings.model_copy(
        update={"reconcile_queue_url": url, "sqs_endpoint": moto_endpoint, "reconcile_apply": True}
    )
    with open_stores(job) as stores:
        stream_arn = stores.dynamodb.update_table(
            TableName=job.details_table,
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
        )["TableDescription"]["LatestStreamArn"]
        cut = crash_windows(stores, claimed_at(stores, job, now_ms() - 2 * HOUR_MS))
        records = read_stream(moto_endpoint, stream_arn)
        assert {r["dynamodb"]["Keys"]["eventId"]["S"] for r in records} == set(cut.values())
        # As the stream function would run once the grace period is over: the checks are due.
        later = time.time() + job.reconcile_grace_seconds + DELAY_MARGIN_SECONDS
        queue = queue_of(job)
        schedule(records, queue, grace_seconds=job.reconcile_grace_seconds, clock=lambda: later)
        answer = check_messages(queue_records(delivered(sqs, job)), job, stores, queue)
        assert (answer["summary"]["orphans"], answer["summary"]["orphans_deleted"]) == (2, 2)
        assert stores.details.versions(list(cut.values())).keys() == {cut["whole"]}
        assert visible(stores, "victim") == [cut["whole"]]


def read_stream(endpoint: str, stream_arn: str) -> list[dict[str, Any]]:
    """The stream's records as Lambda hands them over (times in epoch seconds)."""
    streams = boto3.client("dynamodbstreams", endpoint_url=endpoint, region_name="us-east-1")
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        for record in streams.get_records(ShardIterator=iterator)["Records"]:
            made = record["dynamodb"]["ApproximateCreationDateTime"]
            record["dynamodb"]["ApproximateCreationDateTime"] = made.timestamp()
            records.append(record)
    return records


def test_the_queue_sends_at_most_500_ids_a_message(job_settings: Settings, sqs: Any) -> None:
    queue = queue_of(job_settings)
    assert isinstance(queue, SqsCheckQueue)
    queue.send([str(number) for number in range(1201)], 0)
    sizes = sorted(
        len(__import__("json").loads(m["Body"])["eventIds"]) for m in delivered(sqs, job_settings)
    )
    assert sizes == [201, 500, 500]
