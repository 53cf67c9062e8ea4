"""The retention job's doors: `python -m gateway retention` (and `make retention`), and the
scheduled Lambda function of template.yaml. Both run `jobs.retention.Retention` on the
stores the settings name, when EVENTLOG_RETENTION_DAYS is set; unset, events are kept for ever
and the job does nothing."""

import argparse
import json
import logging
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from sqlalchemy.exc import SQLAlchemyError

from gateway.entrypoints.job_metrics import Count, measured_run
from gateway.entrypoints.reconcile import LAMBDA_MARGIN_SECONDS, EmbeddedStores
from gateway.middleware.observability import configure_logging
from gateway.settings import Settings, SettingsRefused, load_settings
from gateway.stores import MalformedSecret, open_stores, with_secret
from gateway.telemetry import telemetry_for
from jobs.retention import Retention, RetentionSummary
from persistence.deadline import deadline_after
from persistence.metric_catalogue import (
    ERASURES_COMPLETED,
    ERASURES_PENDING,
    RETENTION_EVENTS_REMOVED,
)
from persistence.telemetry import NO_TELEMETRY, Telemetry
from schema.errors import StoreUnavailable

logger = logging.getLogger(__name__)


def remove_expired(
    settings: Settings, telemetry: Telemetry = NO_TELEMETRY
) -> RetentionSummary | None:
    """One run; None when no retention is set. What it removed and finished, its duration or
    its failure are `telemetry`'s (on Lambda, one EMF line a run)."""
    if settings.embedded:
        raise EmbeddedStores
    if settings.retention_days is None:
        return None
    days = settings.retention_days

    def run() -> RetentionSummary:
        with open_stores(with_secret(settings), telemetry=telemetry) as stores:
            job = Retention(
                stores.metadata,
                stores.details,
                days=days,
                grace_seconds=settings.reconcile_grace_seconds,
                clock=lambda: datetime.now(UTC),
            )
            return job.run()

    summary = measured_run(telemetry, "retention", run, run_counts)
    logger.info(
        "retention finished",
        extra={
            "summary": summary.as_json(),
            "RetentionEventsRemoved": summary.events_removed,
            "ErasuresPending": summary.erasures_pending,
        },
    )
    return summary


def run_counts(summary: RetentionSummary) -> list[Count]:
    """What a retention run removed and finished, as its metrics."""
    return [
        (RETENTION_EVENTS_REMOVED, summary.events_removed, ()),
        (ERASURES_COMPLETED, summary.erasures_finished, ()),
        (ERASURES_PENDING, summary.erasures_pending, ()),
    ]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m gateway retention",
        description="Remove from both stores the events received more than "
        "EVENTLOG_RETENTION_DAYS days ago, in the order erasure uses; finish erasures left "
        "unfinished longer than the grace period.",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsRefused as refused:
        raise SystemExit(str(refused)) from None
    configure_logging(settings.log_level)
    try:
        summary = remove_expired(settings)
    except MalformedSecret as exc:
        raise SystemExit(f"retention stopped: {exc}") from None
    except (StoreUnavailable, BotoCoreError, ClientError, SQLAlchemyError) as exc:
        raise SystemExit(
            f"retention stopped: a store cannot be reached ({type(exc).__name__})"
        ) from exc
    if args.json:
        print(json.dumps(summary.as_json() if summary else None))  # noqa: T201
    elif summary is None:
        print("EVENTLOG_RETENTION_DAYS is not set: events are kept, nothing removed")  # noqa: T201
    else:
        print(  # noqa: T201
            f"events received before {summary.received_before} removed: "
            f"{summary.events_removed}\n"
            f"abandoned erasures finished (events): {summary.erasures_finished}\n"
            f"events still marked for erasure: {summary.erasures_pending}"
            + ("" if summary.complete else "\nINCOMPLETE: stopped early; run it again")
        )


def handler(_event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The scheduled function: one run, stopping before the invocation's time is up (the next
    scheduled run goes on)."""
    settings = load_settings()
    configure_logging(settings.log_level)
    seconds = context.get_remaining_time_in_millis() / 1000 - LAMBDA_MARGIN_SECONDS
    with deadline_after(seconds) if seconds > 0 else nullcontext():
        summary = remove_expired(settings, telemetry_for(settings))
    return {"retention": summary.as_json() if summary else None}
