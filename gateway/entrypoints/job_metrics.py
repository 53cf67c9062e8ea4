"""The metrics of a job's run, shared by the jobs' doors: the run's counts, its duration and its
failure, written through the telemetry port and flushed once, so that on Lambda each run (each
invocation of a claim-check function) is one EMF line, which the alarms on ReconcileFailures,
OrphansFound and ErasuresPending read."""

import time
from collections.abc import Callable, Iterable
from typing import TypeVar

from persistence.metric_catalogue import JOB_FAILURES, JOB_SECONDS, Metric
from persistence.telemetry import Telemetry

T = TypeVar("T")

# One value of a metric: the metric, the value, its labels.
Count = tuple[Metric, float, tuple[str, ...]]


def measured_run(
    telemetry: Telemetry,
    task: str,
    run: Callable[[], T],
    counts: Callable[[T], Iterable[Count]],
) -> T:
    """`run()`, with `counts` of its result (or its failure) and its duration written as
    `task`'s metrics and flushed; a failure is raised again."""
    began = time.perf_counter()
    try:
        result = run()
    except Exception:
        telemetry.add(JOB_FAILURES, 1, task)
        raise
    else:
        for metric, value, labels in counts(result):
            telemetry.add(metric, value, *labels)
        return result
    finally:
        telemetry.add(JOB_SECONDS, time.perf_counter() - began, task)
        telemetry.flush()
