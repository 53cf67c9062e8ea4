"""The reconcile job's doors: `python -m gateway reconcile` (and `make reconcile`), and the
Lambda function of template.yaml. Both run `jobs.reconcile.Reconciler` on the stores the
settings name. Every run finishes abandoned erasures and purges old fences; orphans are only
reported unless told to apply.

The CLI sweeps both stores whole (resuming from `--checkpoint FILE` when given). The function
runs hourly without a sweep (orphans are found by the delayed check of each claim:
`gateway.entrypoints.claim_checks`), and sweeps when the audit state machine asks, one slice of
up to 15 minutes per invocation, handing the checkpoint back for the next one."""

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from sqlalchemy.exc import SQLAlchemyError

from gateway.entrypoints.job_metrics import Count, measured_run
from gateway.middleware.observability import configure_logging
from gateway.settings import Settings, SettingsRefused, load_settings
from gateway.stores import MalformedSecret, open_stores, with_secret
from gateway.telemetry import telemetry_for
from jobs.reconcile import Checkpoint, Progress, Reconciler, Summary
from persistence.deadline import deadline_after
from persistence.metric_catalogue import (
    ERASURES_COMPLETED,
    ERASURES_PENDING,
    ITEMS_SCANNED,
    ORPHANS_DELETED,
    ORPHANS_FOUND,
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


def job_settings(settings: Settings, threads: int) -> Settings:
    """The settings a job opens its stores with: a pooled SQL connection for each of its
    `threads` and one more (a pool of one, as on Lambda, would make the threads take turns)."""
    return settings.model_copy(update={"sql_pool_size": max(settings.sql_pool_size, threads + 1)})


def reconcile(
    settings: Settings,
    *,
    apply: bool,
    segments: int,
    progress: Progress | None,
    sweep: bool = True,
    resume: Checkpoint | None = None,
    saved: Callable[[Checkpoint], None] | None = None,
    telemetry: Telemetry = NO_TELEMETRY,
) -> Summary:
    if settings.embedded:
        raise EmbeddedStores
    threads = resume.segments if resume is not None else segments
    with open_stores(job_settings(with_secret(settings), threads), telemetry=telemetry) as stores:
        job = Reconciler(
            stores.metadata,
            stores.details,
            grace_seconds=settings.reconcile_grace_seconds,
            segments=segments,
            progress=progress,
        )
        return job.run(apply=apply, sweep=sweep, resume=resume, saved=saved)


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
    parser.add_argument(
        "--checkpoint",
        type=Path,
        help="resume the sweep from this file if it exists, keep it up to date after each "
        "page, and remove it once the sweep is finished",
    )
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsRefused as refused:
        raise SystemExit(str(refused)) from None
    segments = args.segments or settings.reconcile_segments
    configure_logging(settings.log_level)
    resume = _load_checkpoint(args.checkpoint) if args.checkpoint else None
    saved = (lambda point: _save_checkpoint(args.checkpoint, point)) if args.checkpoint else None
    try:
        with _progress_bar(sys.stderr.isatty() and not args.json) as progress:
            summary = reconcile(
                settings,
                apply=args.apply,
                segments=segments,
                progress=progress,
                resume=resume,
                saved=saved,
            )
    except MalformedSecret as exc:
        raise SystemExit(f"reconcile stopped: {exc}") from None
    except (StoreUnavailable, BotoCoreError, ClientError, SQLAlchemyError) as exc:
        raise SystemExit(
            f"reconcile stopped: a store cannot be reached ({type(exc).__name__})"
        ) from exc
    if args.checkpoint and summary.complete:
        args.checkpoint.unlink(missing_ok=True)
    if args.json:
        print(json.dumps(summary.as_json()))  # noqa: T201
    else:
        print(_report(summary))  # noqa: T201


def _load_checkpoint(path: Path) -> Checkpoint | None:
    if not path.exists():
        return None
    try:
        return Checkpoint.from_json(json.loads(path.read_text()))
    except (ValueError, KeyError, TypeError):
        raise SystemExit(f"reconcile stopped: {path} is not a checkpoint of this job") from None


def _save_checkpoint(path: Path, checkpoint: Checkpoint) -> None:
    """Written beside and renamed over: a run killed while saving leaves the last one whole."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(checkpoint.as_json()))
    os.replace(partial, path)


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
        f"events still marked for erasure: {summary.erasures_pending}",
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


def run_counts(summary: Summary) -> list[Count]:
    """What a reconcile run found and did, as its metrics."""
    return [
        (ITEMS_SCANNED, summary.items_scanned, ()),
        (ORPHANS_FOUND, summary.orphans, ()),
        (ORPHANS_DELETED, summary.orphans_deleted, ()),
        (ROWS_WITHOUT_DETAILS, summary.rows_without_details, ()),
        (ERASURES_COMPLETED, summary.erasures_finished, ()),
        (ERASURES_PENDING, summary.erasures_pending, ()),
    ]


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The function: finishes abandoned erasures and purges old fences every run. Given
    `{"sweep": true}` (by the audit state machine), it also sweeps one slice from
    `checkpoint` (none: from the start) and answers the summary, whose `checkpoint` the state
    machine passes to the next invocation until `complete`. Deletes orphans only when
    EVENTLOG_RECONCILE_APPLY says so."""
    settings = load_settings()
    configure_logging(settings.log_level)
    telemetry = telemetry_for(settings)
    sweep = bool(event.get("sweep"))
    saved = event.get("checkpoint")
    resume = Checkpoint.from_json(saved) if sweep and saved else None
    seconds = context.get_remaining_time_in_millis() / 1000 - LAMBDA_MARGIN_SECONDS
    within = deadline_after(seconds) if seconds > 0 else nullcontext()
    with within:
        summary = measured_run(
            telemetry,
            "reconcile",
            lambda: reconcile(
                settings,
                apply=settings.reconcile_apply,
                segments=settings.reconcile_segments,
                progress=None,
                sweep=sweep,
                resume=resume,
                telemetry=telemetry,
            ),
            run_counts,
        )
    logger.info("reconcile finished", extra={"summary": summary.as_json(), **job_metrics(summary)})
    return {**summary.as_json(), "sweep": sweep}


def job_metrics(summary: Summary) -> dict[str, int]:
    """The counts an alarm watches, under the names docs/operations.md gives them."""
    return {
        "OrphansFound": summary.orphans,
        "OrphansDeleted": summary.orphans_deleted,
        "RowsWithoutDetails": summary.rows_without_details,
        "ErasuresPending": summary.erasures_pending,
    }
