"""The delayed claim checks' doors, two Lambda functions of template.yaml:

- `schedule`: fed by the details table's stream (keys only), queues a check of each claim's
  eventId, delayed by the grace period (`resolvers.claim_checks.schedule`). It needs no VPC and
  no database: the stream and the queue only.
- `check`: fed by that queue, checks each message's eventIds against both stores and removes the
  orphans (`ClaimChecker`) when EVENTLOG_RECONCILE_APPLY says so. A message whose check fails
  is reported as failed (SQS's partial batch response), delivered again, and after a few
  attempts moved to the dead-letter queue, which has an alarm.

The stores and clients are made once per container, on the first invocation."""

import logging
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

from gateway.observability import configure_logging
from gateway.resolvers.claim_checks import CheckSummary, ClaimChecker, schedule
from gateway.settings import AWS_DEFAULT, Settings, load_settings
from gateway.stores import Stores, StoresOnDemand
from persistence.check_queue import SqsCheckQueue, event_ids_of

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
def _stores() -> StoresOnDemand:
    return StoresOnDemand(_settings())


def schedule_handler(event: dict[str, Any], _context: Any) -> dict[str, int]:
    """DynamoDB Streams' batch: a failure (SQS unreachable) fails the batch, which Lambda
    retries, splits, and finally sends to the dead-letter queue."""
    settings = _settings()
    queued = schedule(
        event.get("Records", []), _queue(), grace_seconds=settings.reconcile_grace_seconds
    )
    return {"queued": queued}


def check_handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    """SQS's batch: each message checked on its own; those that fail are named for SQS to
    deliver again."""
    settings = _settings()
    return check_messages(event.get("Records", []), settings, _stores()(), _queue())


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
