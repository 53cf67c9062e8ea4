"""The metrics and traces port: what the resolver and persistence layers record, and nothing of
where it goes.

The doors' wiring builds one `Telemetry` with a sink (Prometheus in a server, CloudWatch EMF on
Lambda, none at all) and, when traces are exported, an OpenTelemetry tracer; the stores and the
resolver receive it and call `add`, `store_call` and `span`. Nothing here imports a metrics
library, and without a tracer no span is made (not even a no-op one).

A request's metrics that depend on how it ends (its operation, status, problems) are noted on
its `RequestRecord` while it runs and emitted once it has ended
(`gateway.middleware.observability`).
"""

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from opentelemetry import trace

from persistence.metric_catalogue import (
    LABEL_VALUES,
    OTHER,
    REGISTERED,
    STORE_CALL_SECONDS,
    STORE_FAILURES,
    Metric,
)
from persistence.request_scope import Begun, RequestScoped


class MetricsSink(Protocol):
    def add(self, metric: Metric, value: float, labels: tuple[str, ...]) -> None:
        """One value of `metric` (counted, observed or set), its labels in `metric.labels`
        order, each already one of its declared values."""
        ...

    def flush(self, record: "RequestRecord | None") -> None:
        """The end of a request (`record`) or of a job's run (None): a sink that writes lines
        writes one now."""
        ...


class RecordingSink(MetricsSink, Protocol):
    def recorder(self, metric: Metric, labels: tuple[str, ...]) -> Callable[[float], None]:
        """What `add(metric, value, labels)` does, as a callable of the value: kept by
        `Telemetry` per metric and label values, so a request's values skip the lookups."""
        ...


@dataclass
class RequestRecord:
    """What a request noted about itself while it ran; `pending` holds what a line-writing sink
    keeps until the request ends."""

    problems: list[str] = field(default_factory=list)
    unavailable: str | None = None
    operation: str | None = None
    pending: list[tuple[Metric, float, tuple[str, ...]]] = field(default_factory=list)


_request: RequestScoped[RequestRecord] = RequestScoped("telemetry_request")
_NO_SPAN: AbstractContextManager[Any] = nullcontext()


def begin_request_record() -> tuple[RequestRecord, Begun[RequestRecord]]:
    record = RequestRecord()
    return record, _request.begin(record)


def end_request_record(begun: Begun[RequestRecord]) -> None:
    _request.end(begun)


def current_request() -> RequestRecord | None:
    return _request.get()


def note_problem(problem: str, store: str | None = None) -> None:
    """The request answers (or includes) this problem type or GraphQL code; `store`, the store
    a 503 names. Nothing outside a request (documentation examples)."""
    record = _request.get()
    if record is not None:
        record.problems.append(problem)
        if store is not None:
            record.unavailable = store


def name_operation(operation: str) -> None:
    """The operation of a request its route does not name (GraphQL's operation type)."""
    record = _request.get()
    if record is not None:
        record.operation = operation


class Telemetry:
    def __init__(
        self,
        sink: MetricsSink | None = None,
        tracer: trace.Tracer | None = None,
        *,
        allowed: Mapping[str, frozenset[str]] | None = None,
    ) -> None:
        """`allowed`: the values of the labels the app registers (`operation`, `problem`)."""
        self.sink = sink
        self.tracer = tracer
        self._values = {
            name: (allowed or {}).get(name, values) if values is REGISTERED else values
            for name, values in LABEL_VALUES.items()
        }
        # Per metric name and label values as given: the sink's way to record a value of them
        # (labels already bounded). Only declared values are kept, so the keys are bounded too.
        self._recorders: dict[tuple[str, tuple[str, ...]], Callable[[float], None]] = {}

    def allow(self, label: str, values: frozenset[str]) -> None:
        """The values a registered label (`operation`, `problem`) may take, once the app that
        names them is built."""
        if LABEL_VALUES.get(label) is not REGISTERED:
            raise ValueError(f"{label} is not a registered label")
        self._values[label] = values
        self._recorders.clear()

    def add(self, metric: Metric, value: float = 1.0, *labels: str) -> None:
        if self.sink is None:
            return
        record = self._recorders.get((metric.name, labels))
        if record is None:
            record = self._recorder(self.sink, metric, labels)
        record(value)

    def _recorder(
        self, sink: MetricsSink, metric: Metric, labels: tuple[str, ...]
    ) -> Callable[[float], None]:
        """How a value of `metric` with `labels` is recorded: `labels` with each value outside
        its declared set as `other`; remembered when all were declared (so what is remembered
        is bounded too)."""
        if len(labels) != len(metric.labels):
            raise ValueError(f"{metric.name} takes labels {metric.labels}")
        bounded = tuple(
            found if found in self._values[name] else OTHER
            for name, found in zip(metric.labels, labels, strict=True)
        )
        record = _recorder_of(sink, metric, bounded)
        if bounded == labels:
            self._recorders[(metric.name, labels)] = record
        return record

    def flush(self, record: RequestRecord | None = None) -> None:
        if self.sink is not None:
            self.sink.flush(record)

    def span(self, name: str, **attributes: str | int) -> AbstractContextManager[Any]:
        """A child span of the current one for the block, when traces are exported."""
        if self.tracer is None:
            return _NO_SPAN
        return self.tracer.start_as_current_span(name, attributes=attributes)

    def start_span(self, name: str, **attributes: str | int) -> trace.Span | None:
        """A span ended by `end_span` (for calls timed by library events, not a block)."""
        if self.tracer is None:
            return None
        return self.tracer.start_span(name, attributes=attributes)

    @staticmethod
    def end_span(span: trace.Span | None, error: str | None = None) -> None:
        if span is None:
            return
        if error is not None:
            span.set_status(trace.StatusCode.ERROR, error)
        span.end()

    def call_ended(self, store: str, call: str, seconds: float, failure: str | None = None) -> None:
        self.add(STORE_CALL_SECONDS, seconds, store, call)
        if failure is not None:
            self.add(STORE_FAILURES, 1, store, failure)

    @contextmanager
    def store_call(self, store: str, call: str) -> Iterator[None]:
        """Times the block as one call of `store` (a span of its own); a failure inside it is
        the caller's to count (`call_ended` or `add(STORE_FAILURES, ...)`), as only the caller
        knows its kind."""
        began = time.perf_counter()
        with self.span(f"{store} {call}", **{"eventlog.store": store}):
            try:
                yield
            finally:
                self.add(STORE_CALL_SECONDS, time.perf_counter() - began, store, call)


NO_TELEMETRY = Telemetry()


def _recorder_of(
    sink: MetricsSink, metric: Metric, labels: tuple[str, ...]
) -> Callable[[float], None]:
    """The sink's own recorder when it has one (`RecordingSink`), else its `add`."""
    if hasattr(sink, "recorder"):
        return cast(RecordingSink, sink).recorder(metric, labels)
    return lambda value: sink.add(metric, value, labels)


def current_trace_id() -> str | None:
    """The current span's trace id (32 hex digits), or None outside any recorded trace."""
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None
