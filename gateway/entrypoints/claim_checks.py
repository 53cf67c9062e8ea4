"""The delayed claim checks' doors, two Lambda functions of template.yaml:

- `schedule`: fed by the details table's stream (keys only), queues a check of each claim's
  eventId, delayed by the grace period (`jobs.claim_checks.schedule`). It needs no VPC and
  no database: the stream and the queue only.
- `check`: fed by that queue, checks each message's eventIds against both stores and removes the
  orphans (`ClaimChecker`) when EVENTLOG_RECONCILE_APPLY says so. A message whose check fails
  is reported as failed (SQS's partial batch response), delivered again, and after a few
  attempts moved to the dead-letter queue, which has an alarm.

Each invocation writes one EMF line (EVENTLOG_METRICS=emf): the checks it queued, or the items it
read, the orphans it found and deleted and the messages that failed, and its duration. The
stores and clients are made once per container, on the first invocation."""

import logging
from collections.abc import Callable
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

from gateway.entrypoints.job_metrics import Count, measured_run
from gateway.middleware.observability import configure_logging
from gateway.settings import AWS_DEFAULT, Settings, load_settings
from gateway.stores import Stores, StoresOnDemand
from gateway.telemetry import telemetry_for
from jobs.claim_checks import CheckSummary, ClaimChecker, schedule
from persistence.check_queue import SqsCheckQueue, event_ids_of
from persistence.metric_catalogue import (
    CLAIM_CHECKS_QUEUED,
    ITEMS_SCANNED,
    JOB_FAILURES,
    ORPHANS_DELETED,
    ORPHANS_FOUND,
)
from persistence.telemetry import Telemetry

logger = logging.getLogger(__name__)


def queue_of(settings: Settings) -> SqsCheckQueue:
    if settings.reconcile_queue_url is None:
        raise LookupError("EVENTLOG_RECONCILE_QUEUE_URL names no queue")
    options: dict[str, Any] = {
        "region_name": settings.aws_region,
        "config": Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard"}),
    }
    if settings.sqs_endpoint != AWS_DEFAULT:
        options["endpoint_url"] = settings.sqs_endpoint
    return SqsCheckQueue(settings.reconcile_queue_url, boto3.client("sqs", **options))


@cache
def _settings() -> Settings:
    settings = load_settings()
    configure_logging(settings.log_level)
    return settings


@cache
def _queue() -> SqsCheckQueue:
    return queue_of(_settings())


@cache
def _telemetry() -> Telemetry:
    return telemetry_for(_settings())


@cache
def _stores() -> StoresOnDemand:
    return StoresOnDemand(_settings(), _telemetry())


def schedule_handler(event: dict[str, Any], _context: Any) -> dict[str, int]:
    """DynamoDB Streams' batch: a failure (SQS unreachable) fails the batch, which Lambda
    retries, splits, and finally sends to the dead-letter queue."""
    return scheduled(event.get("Records", []), _settings(), _queue, _telemetry())


def check_handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    """SQS's batch: each message checked on its own; those that fail are named for SQS to
    deliver again."""
    return checked(event.get("Records", []), _settings(), lambda: _stores()(), _queue, _telemetry())


def scheduled(
    records: list[dict[str, Any]],
    settings: Settings,
    queue: Callable[[], SqsCheckQueue],
    telemetry: Telemetry,
) -> dict[str, int]:
    """The stream function's invocation, measured: one EMF line."""
    queued = measured_run(
        telemetry,
        "claim_schedule",
        lambda: schedule(records, queue(), grace_seconds=settings.reconcile_grace_seconds),
        lambda count: [(CLAIM_CHECKS_QUEUED, count, ())],
    )
    return {"queued": queued}


def checked(
    records: list[dict[str, Any]],
    settings: Settings,
    stores: Callable[[], Stores],
    queue: Callable[[], SqsCheckQueue],
    telemetry: Telemetry,
) -> dict[str, Any]:
    """The queue function's invocation, measured: one EMF line (opening the stores or the
    queue inside it, so that a failure to is counted too)."""
    return measured_run(
        telemetry,
        "claim_check",
        lambda: check_messages(records, settings, stores(), queue()),
        check_counts,
    )


def check_counts(answer: dict[str, Any]) -> list[Count]:
    """An invocation's checks as its metrics: the messages that failed count as failures of the
    task (each is delivered again, and in the end lands in the dead-letter queue)."""
    summary, failed = answer["summary"], len(answer["batchItemFailures"])
    counts: list[Count] = [
        (ITEMS_SCANNED, summary["checked"], ()),
        (ORPHANS_FOUND, summary["orphans"], ()),
        (ORPHANS_DELETED, summary["orphans_deleted"], ()),
    ]
    if failed:
        counts.append((JOB_FAILURES, failed, ("claim_check",)))
    return counts


def check_messages(
    records: list[dict[str, Any]], settings: Settings, stores: Stores, queue: SqsCheckQueue
) -> dict[str, Any]:
    checker = ClaimChecker(
        stores.metadata,
        stores.details,
        queue,
        grace_seconds=settings.reconcile_grace_seconds,
    )
    total = CheckSummary(applied=settings.reconcile_apply)
    failed: list[dict[str, str]] = []
    for record in records:
        try:
            total.add(checker.check(event_ids_of(record["body"]), apply=settings.reconcile_apply))
        except Exception as exc:  # each message fails alone; SQS delivers it again
            logger.error("claim check failed: %s", type(exc).__name__)
            failed.append({"itemIdentifier": record["messageId"]})
    logger.info(
        "claim checks finished",
        extra={
            "summary": total.as_json(),
            "OrphansFound": total.orphans,
            "OrphansDeleted": total.orphans_deleted,
            "ReconcileFailures": len(failed),
        },
    )
    return {"batchItemFailures": failed, "summary": total.as_json()}
