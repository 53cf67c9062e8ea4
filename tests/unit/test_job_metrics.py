"""The jobs' metrics: one EMF line per run, its failure counted when it fails."""

import io
import json

import pytest

from gateway.entrypoints.claim_checks import check_counts
from gateway.entrypoints.job_metrics import measured_run
from gateway.entrypoints.reconcile import run_counts
from gateway.metrics import EmfSink
from jobs.reconcile import Summary
from persistence.telemetry import Telemetry
from tests.emf import assert_valid_emf


def test_a_failed_run_writes_one_line_counting_the_failure() -> None:
    lines = io.StringIO()

    def run() -> Summary:
        raise RuntimeError("the stores went away")

    with pytest.raises(RuntimeError):
        measured_run(Telemetry(EmfSink(lines)), "reconcile", run, run_counts)
    (line,) = [json.loads(text) for text in lines.getvalue().splitlines()]
    assert_valid_emf(line)
    assert line["ReconcileFailures"] == line["JobFailures.reconcile"] == 1
    assert line["JobDuration.reconcile"] >= 0
    assert "OrphansFound" not in line


def test_a_run_writes_what_it_found_and_did() -> None:
    lines = io.StringIO()
    summary = Summary(
        applied=True,
        grace_seconds=900,
        items_scanned=7,
        orphans=2,
        orphans_deleted=1,
        rows_without_details=3,
        erasures_finished=4,
        erasures_pending=5,
    )
    assert measured_run(Telemetry(EmfSink(lines)), "reconcile", lambda: summary, run_counts) is (
        summary
    )
    (line,) = [json.loads(text) for text in lines.getvalue().splitlines()]
    assert_valid_emf(line)
    found = {
        name: line[name]
        for name in (
            "ItemsScanned",
            "OrphansFound",
            "OrphansDeleted",
            "RowsWithoutDetails",
            "ErasuresCompleted",
            "ErasuresPending",
        )
    }
    assert found == {
        "ItemsScanned": 7,
        "OrphansFound": 2,
        "OrphansDeleted": 1,
        "RowsWithoutDetails": 3,
        "ErasuresCompleted": 4,
        "ErasuresPending": 5,
    }
    assert "ReconcileFailures" not in line


def test_claim_check_messages_that_failed_count_as_failures_of_the_task() -> None:
    lines = io.StringIO()
    answer = {
        "batchItemFailures": [{"itemIdentifier": "m-1"}, {"itemIdentifier": "m-2"}],
        "summary": {"checked": 5, "orphans": 1, "orphans_deleted": 0},
    }
    measured_run(Telemetry(EmfSink(lines)), "claim_check", lambda: answer, check_counts)
    (line,) = [json.loads(text) for text in lines.getvalue().splitlines()]
    assert_valid_emf(line)
    assert line["ReconcileFailures"] == line["JobFailures.claim_check"] == 2
    assert (line["ItemsScanned"], line["OrphansFound"], line["OrphansDeleted"]) == (5, 1, 0)
