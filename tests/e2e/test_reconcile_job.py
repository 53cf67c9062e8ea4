"""The reconcile job as an operator runs it: `python -m gateway reconcile` in its own process
(what `make reconcile` runs) and its Lambda handler, against a SQLite file and DynamoDB over
HTTP (moto's server), on orphans made the way a crash makes them."""

import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gateway.app import build_resolver
from gateway.settings import Settings
from gateway.stores import open_stores
from persistence.details import DynamoDetailStore
from resolvers import EventResolver
from schema.access import Caller
from tests.emf import assert_valid_emf
from tests.factories import make_event
from tests.stores import TEST_CURSOR_SECRET

HOUR_MS = 3600 * 1000


def environment(settings: Settings, **extra: str) -> dict[str, str]:
    """What an operator exports for the job: the lasting stores, nothing else."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVENTLOG_")}
    return env | {
        "EVENTLOG_DATABASE_URL": settings.database_url,
        "EVENTLOG_DYNAMODB_ENDPOINT": settings.dynamodb_endpoint,
        "EVENTLOG_DETAILS_TABLE": settings.details_table,
        "EVENTLOG_CURSOR_SECRET": TEST_CURSOR_SECRET,
        "EVENTLOG_AUTH": "none",
        **extra,
    }


def fixed_clock(ms: int) -> Callable[[], int]:
    """A clock that reads `ms`: the details store stamps its claims with it."""
    return lambda: ms


@pytest.fixture
def damaged(settings: Settings) -> dict[str, Any]:
    """Two events recorded whole, one orphan claimed two hours ago (a crash before its row),
    one claimed just now (a write maybe still in flight), and an erasure that died two hours
    ago after marking its event's row (nobody repeated it)."""
    with open_stores(settings) as stores:
        resolver = build_resolver(settings, stores)
        whole = [make_event(eventId=str(uuid.uuid4())) for _ in range(2)]
        erased = make_event(userId="forgotten", eventId=str(uuid.uuid4()))
        resolver.record_events({"events": [*whole, erased]}, caller=Caller.anyone())
        two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
        stores.metadata.mark_erasing("forgotten", [erased["eventId"]], at=two_hours_ago)
        old, young = str(uuid.uuid4()), str(uuid.uuid4())
        now_ms = time.time_ns() // 1_000_000
        for event_id, age_ms in ((old, 2 * HOUR_MS), (young, 0)):
            store = DynamoDetailStore(
                settings.details_table, stores.dynamodb, clock_ms=fixed_clock(now_ms - age_ms)
            )
            store.claim(event_id, "victim", {"k": 1}, "hash", uuid.uuid4().hex)
    return {
        "old": old,
        "young": young,
        "whole": [event["eventId"] for event in whole],
        "erased": erased["eventId"],
    }


def reconcile(settings: Settings, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", "reconcile", *arguments],
        env=environment(settings),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_dry_run_finishes_the_abandoned_erasure_and_reports_the_orphans_as_json(
    settings: Settings, damaged: dict[str, Any]
) -> None:
    done = reconcile(settings, "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary | {"orphan_ids": sorted(summary["orphan_ids"])} == {
        "applied": False,
        "grace_seconds": 900,
        "erasures_finished": 1,
        "erasures_pending": 0,
        "fences_purged": 0,
        "items_scanned": 4,
        "orphans": 2,
        "orphans_in_grace": 1,
        "orphans_deleted": 0,
        "orphans_kept": 0,
        "rows_scanned": 2,
        "rows_without_details": 0,
        "orphan_ids": sorted([damaged["old"], damaged["young"]]),
        "bare_row_ids": [],
        "complete": True,
        "checkpoint": None,
    }
    again = json.loads(reconcile(settings, "--json").stdout)
    assert (again["orphans"], again["erasures_finished"]) == (2, 0)  # no orphan was deleted
    with open_stores(settings) as stores:
        assert stores.details.versions([damaged["erased"]]) == {}
        assert stores.metadata.user_event_ids("forgotten", 10) == []


def test_apply_deletes_the_old_orphan_only_and_says_so_in_words(
    settings: Settings, damaged: dict[str, Any]
) -> None:
    done = reconcile(settings, "--apply")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:8] == [
        "abandoned erasures finished (events): 1",
        "events still marked for erasure: 0",
        "fences of erased events purged: 0",
        "details items scanned: 4",
        "orphans (details with no event): 2",
        "  younger than the grace period (900 s), left alone: 1",
        "  deleted: 1",
        "  kept, claimed again meanwhile: 0",
    ]
    left = json.loads(reconcile(settings, "--json").stdout)
    assert (left["orphans"], left["orphan_ids"]) == (1, [damaged["young"]])


def test_on_a_terminal_it_shows_progress_bars(settings: Settings, damaged: dict[str, Any]) -> None:
    controller, terminal = pty.openpty()
    # A terminal of 100 columns (a new pseudo-terminal has no size, and tqdm would draw none).
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "reconcile"],
        env=environment(settings),
        stdout=subprocess.PIPE,
        stderr=terminal,
        text=True,
        timeout=120,
    )
    os.close(terminal)
    shown = os.read(controller, 65536).decode()
    os.close(controller)
    assert done.returncode == 0
    assert "items: " in shown and "rows: " in shown
    assert "would be deleted by --apply: 1" in done.stdout


def test_the_embedded_stores_are_refused(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVENTLOG_")}
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "reconcile"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "reconcile checks lasting stores" in done.stderr


def test_the_lambda_function_sweeps_when_asked_and_applies_only_when_told(
    settings: Settings, damaged: dict[str, Any]
) -> None:
    script = (
        "import json, sys\n"
        "from gateway.entrypoints.reconcile import handler\n"
        "class Context:\n"
        "    def get_remaining_time_in_millis(self): return 60_000\n"
        "print(json.dumps(handler(json.loads(sys.argv[1]), Context())))\n"
    )

    metrics: list[dict[str, Any]] = []

    def scheduled(apply: str, event: str = '{"sweep": true}') -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, "-c", script, event],
            env=environment(settings, EVENTLOG_RECONCILE_APPLY=apply, EVENTLOG_METRICS="emf"),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        *emf, last = done.stdout.splitlines()
        assert len(emf) == 1, "one EMF line per run"
        metrics.append(json.loads(emf[0]))
        result: dict[str, Any] = json.loads(last)
        return result

    dry = scheduled("false")
    assert (dry["applied"], dry["orphans"], dry["orphans_deleted"]) == (False, 2, 0)
    assert dry["erasures_finished"] == 1  # without EVENTLOG_RECONCILE_APPLY
    assert_valid_emf(metrics[0])
    assert {name: metrics[0][name] for name in ("OrphansFound", "ErasuresCompleted")} == {
        "OrphansFound": 2,
        "ErasuresCompleted": 1,
    }
    assert metrics[0]["JobDuration.reconcile"] > 0 and "ReconcileFailures" not in metrics[0]
    assert metrics[0]["ErasuresPending"] == 0
    applied = scheduled("true")
    assert (applied["applied"], applied["orphans_deleted"]) == (True, 1)
    assert metrics[1]["OrphansDeleted"] == 1
    assert (applied["complete"], applied["checkpoint"]) == (True, None)
    # The hourly schedule's event: erasures and fences only, no scan (the claims' delayed
    # checks find orphans).
    hourly = scheduled("true", '{"source": "aws.scheduler"}')
    assert (hourly["sweep"], hourly["items_scanned"], hourly["rows_scanned"]) == (False, 0, 0)


def test_a_sweep_given_a_checkpoint_resumes_from_it_and_removes_it_when_done(
    settings: Settings, damaged: dict[str, Any], tmp_path: Path
) -> None:
    checkpoint = tmp_path / "sweep.json"
    last = max(damaged["whole"])
    # What a killed run left: every segment finished, the rows checked up to the last one.
    checkpoint.write_text(
        json.dumps({"after": [None] * 4, "finished": [True] * 4, "rows_after": last})
    )
    done = reconcile(settings, "--json", "--checkpoint", str(checkpoint))
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["items_scanned"], summary["rows_scanned"], summary["complete"]) == (0, 0, True)
    assert not checkpoint.exists()
    fresh = json.loads(reconcile(settings, "--json", "--checkpoint", str(checkpoint)).stdout)
    assert (fresh["items_scanned"], fresh["orphans"]) == (4, 2)
    assert not checkpoint.exists()
    checkpoint.write_text("{}")
    refused = reconcile(settings, "--checkpoint", str(checkpoint))
    assert refused.returncode == 1
    assert "is not a checkpoint of this job" in refused.stderr


def test_make_retention_removes_old_events_from_both_stores(settings: Settings) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=40)
    with open_stores(settings) as stores:
        old = EventResolver(
            stores.metadata,
            stores.details,
            limits=settings.limits,
            cursor_secret=stores.cursor_secret,
            clock=lambda: long_ago,
        )
        kept, gone = make_event(eventId=str(uuid.uuid4())), make_event(eventId=str(uuid.uuid4()))
        old.record_event(gone, caller=Caller.anyone())
        build_resolver(settings, stores).record_event(kept, caller=Caller.anyone())

    def retention(**extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "gateway", "retention", "--json"],
            env=environment(settings, **extra),
            capture_output=True,
            text=True,
            timeout=120,
        )

    off = retention()
    assert (off.returncode, off.stdout.strip()) == (0, "null")
    done = retention(EVENTLOG_RETENTION_DAYS="30")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["events_removed"], summary["retention_days"], summary["complete"]) == (
        1,
        30,
        True,
    )
    with open_stores(settings) as stores:
        assert stores.details.versions([gone["eventId"], kept["eventId"]]).keys() == {
            kept["eventId"]
        }
        assert stores.metadata.get(gone["eventId"]) is None
        assert stores.metadata.get(kept["eventId"]) is not None
