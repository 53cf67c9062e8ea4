"""The reconcile job's doors: `python -m gateway reconcile` (and `make reconcile`), and the
scheduled Lambda function of template.yaml. Both run `resolvers.reconcile.Reconciler` on the
stores the settings name. Every run finishes abandoned erasures and purges old fences; orphans
are only reported unless told to apply."""

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from sqlalchemy.exc import SQLAlchemyError

from gateway.observability import configure_logging
from gateway.resolvers.reconcile import Progress, Reconciler, Summary
from gateway.settings import Settings, SettingsRefused, load_settings
from gateway.stores import MalformedSecret, open_stores, with_secret
from gateway.telemetry import telemetry_for
from persistence.deadline import deadline_after
from persistence.metric_catalogue import (
    ERASURES_COMPLETED,
    ITEMS_SCANNED,
    ORPHANS_DELETED,
    ORPHANS_FOUND,
    RECONCILE_FAILURES,
    RECONCILE_SECONDS,
    ROWS_WITHOUT_DETAILS,
)
from persistence.telemetry import NO_TELEMETRY, Telemetry
from schema.errors import StoreUnavailable

logger = logging.getLogger(__name__)

# What a scheduled run leaves of its Lambda time limit to report and exit.
LAMBDA_MARGIN_SECONDS = 5.0


class EmbeddedStores(SystemExit):
    def __init__(self) -> None:
        super().__init__(
            "reconcile checks lasting stores: set EVENTLOG_DATABASE_URL and "
            "EVENTLOG_DYNAMODB_ENDPOINT (the embedded ones start empty and end with the process)"
        )


def reconcile(
    settings: Settings,
    *,
    apply: bool,
    segments: int,
    progress: Progress | None,
    telemetry: Telemetry = NO_TELEMETRY,
) -> Summary:
    if settings.embedded:
        raise EmbeddedStores
    with open_stores(with_secret(settings), telemetry) as stores:
        job = Reconciler(
            stores.metadata,
            stores.details,
            grace_seconds=settings.reconcile_grace_seconds,
            segments=segments,
            progress=progress,
        )
        return job.run(apply=apply)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m gateway reconcile",
        description="Finish erasures left unfinished longer than the grace period and delete "
        "fences older than it; find details items with no event row (orphans) and rows with no "
        "details; with --apply, delete the orphans older than the grace period.",
    )
    parser.add_argument("--apply", action="store_true", help="delete orphans (default: report)")
    parser.add_argument("--segments", type=int, help="parallel Scan segments (default 4)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsRefused as refused:
        raise SystemExit(str(refused)) from None
    segments = args.segments or settings.reconcile_segments
    configure_logging(settings.log_level)
    try:
        with _progress_bar(sys.stderr.isatty() and not args.json) as progress:
            summary = reconcile(settings, apply=args.apply, segments=segments, progress=progress)
    except MalformedSecret as exc:
        raise SystemExit(f"reconcile stopped: {exc}") from None
    except (StoreUnavailable, BotoCoreError, ClientError, SQLAlchemyError) as exc:
        raise SystemExit(
            f"reconcile stopped: a store cannot be reached ({type(exc).__name__})"
        ) from exc
    if args.json:
        print(json.dumps(summary.as_json()))  # noqa: T201
    else:
        print(_report(summary))  # noqa: T201


@contextmanager
def _progress_bar(shown: bool) -> Iterator[Progress | None]:
    """tqdm's bars on a terminal: details items scanned, then rows checked."""
    if not shown:
        yield None
        return
    from tqdm import tqdm

    with ExitStack() as bars:
        made: dict[str, Any] = {}

        def advance(kind: str, count: int) -> None:
            if kind not in made:
                made[kind] = bars.enter_context(tqdm(desc=kind, unit=" " + kind, leave=True))
            made[kind].update(count)

        yield advance


def _report(summary: Summary) -> str:
    ripe = summary.orphans - summary.orphans_in_grace
    lines = [
        f"abandoned erasures finished (events): {summary.erasures_finished}",
        f"fences of erased events purged: {summary.fences_purged}",
        f"details items scanned: {summary.items_scanned}",
        f"orphans (details with no event): {summary.orphans}",
        f"  younger than the grace period ({summary.grace_seconds} s), left alone: "
        f"{summary.orphans_in_grace}",
        f"  deleted: {summary.orphans_deleted}"
        if summary.applied
        else f"  would be deleted by --apply: {ripe}",
    ]
    if summary.applied:
        lines.append(f"  kept, claimed again meanwhile: {summary.orphans_kept}")
    lines += [
        f"event rows checked: {summary.rows_scanned}",
        f"events with no details (replay their POST to restore): {summary.rows_without_details}",
    ]
    if summary.orphan_ids:
        lines.append("some orphans: " + ", ".join(summary.orphan_ids))
    if summary.bare_row_ids:
        lines.append("some events with no details: " + ", ".join(summary.bare_row_ids))
    if not summary.complete:
        lines.append("INCOMPLETE: stopped by its deadline; run it again")
    return "\n".join(lines)


def measured_run(telemetry: Telemetry, run: Callable[[], Summary]) -> Summary:
    """`run()`, its summary and duration (or its failure) written as the job's metrics: on
    Lambda, one EMF line per run (the alarms on ReconcileFailures and OrphansFound read it)."""
    began = time.perf_counter()
    try:
        summary = run()
    except Exception:
        telemetry.add(RECONCILE_FAILURES)
        raise
    else:
        for metric, count in (
            (ITEMS_SCANNED, summary.items_scanned),
            (ORPHANS_FOUND, summary.orphans),
            (ORPHANS_DELETED, summary.orphans_deleted),
            (ROWS_WITHOUT_DETAILS, summary.rows_without_details),
            (ERASURES_COMPLETED, summary.erasures_finished),
        ):
            telemetry.add(metric, count)
        return summary
    finally:
        telemetry.add(RECONCILE_SECONDS, time.perf_counter() - began)
        telemetry.flush()


def handler(_event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The scheduled function: finishes abandoned erasures and purges old fences every run;
    deletes orphans only when EVENTLOG_RECONCILE_APPLY says so."""
    settings = load_settings()
    configure_logging(settings.log_level)
    telemetry = telemetry_for(settings)
    seconds = context.get_remaining_time_in_millis() / 1000 - LAMBDA_MARGIN_SECONDS
    within = deadline_after(seconds) if seconds > 0 else nullcontext()
    with within:
        summary = measured_run(
            telemetry,
            lambda: reconcile(
                settings,
                apply=settings.reconcile_apply,
                segments=settings.reconcile_segments,
                progress=None,
                telemetry=telemetry,
            ),
        )
    logger.info("reconcile finished", extra={"summary": summary.as_json()})
    return summary.as_json()
