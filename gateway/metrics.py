"""The EMF sink of the telemetry port (EVENTLOG_METRICS=emf, Lambda): CloudWatch embedded metric
format, one JSON line on stdout per request (and per job run), from which CloudWatch Logs makes
the metrics: no API call on the request path. (The Prometheus sink, for a server, is
`gateway.prometheus_sink`, imported only where it is used.)

The EMF line is written here rather than by aws-embedded-metrics or Powertools' `Metrics`: both
give one line a single set of dimension values, and a request's line carries metrics with the
`Operation` dimension beside metrics without it (stores, claims, fates), in two directives.
"""

import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TextIO

import orjson

from persistence.metric_catalogue import Metric, Unit
from persistence.telemetry import RequestRecord, current_request

CLOUDWATCH_NAMESPACE = "EventLog"
# EMF: at most 100 values of one metric in one line.
EMF_MAX_VALUES = 100
# Values kept outside any request until a job's run writes them: the API never writes these
# (its store calls at start-up), so they are bounded rather than kept for the container's life.
MAX_OUTSIDE_VALUES = 10_000


class EmfSink:
    """Values are kept on the request's record (or, outside a request, for the job's run) and
    written as one line when it ends."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        namespace: str = CLOUDWATCH_NAMESPACE,
        clock_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
    ) -> None:
        self._stream = stream
        self._namespace = namespace
        self._clock_ms = clock_ms
        self._lock = threading.Lock()
        self._outside: list[tuple[Metric, float, tuple[str, ...]]] = []

    def add(self, metric: Metric, value: float, labels: tuple[str, ...]) -> None:
        record = current_request()
        if record is not None:
            record.pending.append((metric, value, labels))
            return
        with self._lock:
            if len(self._outside) < MAX_OUTSIDE_VALUES:
                self._outside.append((metric, value, labels))

    def flush(self, record: RequestRecord | None) -> None:
        if record is None:
            with self._lock:
                values, self._outside = self._outside, []
        else:
            values, record.pending = record.pending, []
        line = emf_line(values, self._namespace, self._clock_ms(), record)
        if line is not None:
            stream = self._stream or sys.stdout
            stream.write(line + "\n")
            stream.flush()


_Values = dict[str, tuple[Unit, list[float]]]


def emf_line(
    values: Iterable[tuple[Metric, float, tuple[str, ...]]],
    namespace: str,
    timestamp_ms: int,
    record: RequestRecord | None,
) -> str | None:
    """One EMF document: metrics with an `operation` label under the `Operation` dimension
    (and summed over it), the others with no dimension. None when there is nothing to write."""
    by_operation, plain, operation = _grouped(values)
    if not by_operation and not plain:
        return None
    directives = []
    document: dict[str, Any] = {}
    for dimensions, metrics in ((["Operation"], by_operation), ([], plain)):
        if not metrics:
            continue
        directives.append(
            {
                "Namespace": namespace,
                "Dimensions": [dimensions, []] if dimensions else [[]],
                "Metrics": [
                    {"Name": name, "Unit": unit.value} for name, (unit, _) in metrics.items()
                ],
            }
        )
        for name, (_, kept) in metrics.items():
            document[name] = kept[0] if len(kept) == 1 else kept
    if operation is not None:
        document["Operation"] = operation
    if record is not None and record.problems:
        document["problems"] = record.problems
    return orjson.dumps(
        {"_aws": {"Timestamp": timestamp_ms, "CloudWatchMetrics": directives}, **document}
    ).decode()


def _grouped(
    values: Iterable[tuple[Metric, float, tuple[str, ...]]],
) -> tuple[_Values, _Values, str | None]:
    """Values by CloudWatch name: those with the `operation` label, the others, the operation."""
    by_operation: _Values = {}
    plain: _Values = {}
    operation = None
    for metric, value, labels in values:
        named = dict(zip(metric.labels, labels, strict=True))
        target = plain
        if "operation" in named:
            operation, target = named["operation"], by_operation
        shown = value * 1000 if metric.unit is Unit.SECONDS else value
        for template in metric.cloudwatch:
            _, kept = target.setdefault(template.format(**named), (metric.unit, []))
            if len(kept) < EMF_MAX_VALUES:
                kept.append(round(shown, 3))
    return by_operation, plain, operation
