"""The Prometheus sink of the telemetry port (EVENTLOG_METRICS=prometheus: a server, `make run`,
the container): counters, histograms and gauges in a prometheus-client registry of the app's
own, read at `GET /metrics` (`gateway.rest.metrics_page`)."""

from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from persistence.metric_catalogue import CATALOGUE, Kind, Metric
from persistence.telemetry import RequestRecord

PROMETHEUS_NAMESPACE = "eventlog"


class PrometheusSink:
    """Each metric's children are kept by label values, and `Telemetry` keeps each child's
    bound `inc`/`observe`/`set` (`recorder`): a request's values are one dictionary lookup and
    the child's own call, not prometheus-client's label checks."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self._metrics = {metric.name: _collector(metric, self.registry) for metric in CATALOGUE}
        self._record: dict[tuple[str, tuple[str, ...]], Callable[[float], None]] = {}

    def add(self, metric: Metric, value: float, labels: tuple[str, ...]) -> None:
        self.recorder(metric, labels)(value)

    def recorder(self, metric: Metric, labels: tuple[str, ...]) -> Callable[[float], None]:
        record = self._record.get((metric.name, labels))
        if record is None:
            collector = self._metrics[metric.name]
            child = collector.labels(*labels) if labels else collector
            record = _RECORDS[metric.kind](child)
            self._record[(metric.name, labels)] = record
        return record

    def flush(self, record: RequestRecord | None) -> None:
        """Nothing to write: the registry is read when scraped."""


# Each kind's way to record a value, as the child's bound method.
_RECORDS: dict[Kind, Callable[[Any], Callable[[float], None]]] = {
    Kind.COUNTER: lambda child: child.inc,
    Kind.HISTOGRAM: lambda child: child.observe,
    Kind.GAUGE: lambda child: child.set,
}


def _collector(metric: Metric, registry: CollectorRegistry) -> Any:
    common: dict[str, Any] = {
        "name": metric.name,
        "documentation": metric.help,
        "labelnames": metric.labels,
        "namespace": PROMETHEUS_NAMESPACE,
        "registry": registry,
    }
    if metric.kind is Kind.COUNTER:
        return Counter(**common)
    if metric.kind is Kind.GAUGE:
        return Gauge(**common)
    return Histogram(**common, buckets=metric.buckets)
