"""The reconcile job's metrics: one EMF line per run, its failure counted when it fails."""

import io
import json

import pytest

from gateway.metrics import EmfSink
from gateway.reconcile import measured_run
from gateway.resolvers.reconcile import Summary
from persistence.telemetry import Telemetry
from tests.emf import assert_valid_emf


def test_a_failed_run_writes_one_line_counting_the_failure() -> None:
    lines = io.StringIO()

    def run() -> Summary:
        raise RuntimeError("the stores went away")

    with pytest.raises(RuntimeError):
        measured_run(Telemetry(EmfSink(lines)), run)
    (line,) = [json.loads(text) for text in lines.getvalue().splitlines()]
    assert_valid_emf(line)
    assert line["ReconcileFailures"] == 1 and line["ReconcileDuration"] >= 0
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
    )
    assert measured_run(Telemetry(EmfSink(lines)), lambda: summary) is summary
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
        )
    }
    assert found == {
        "ItemsScanned": 7,
        "OrphansFound": 2,
        "OrphansDeleted": 1,
        "RowsWithoutDetails": 3,
        "ErasuresCompleted": 4,
    }
