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
    """Each metric's children are kept by label values: a request's increments are dictionary
    lookups, not prometheus-client's label checks."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self._metrics = {metric.name: _collector(metric, self.registry) for metric in CATALOGUE}
        self._children: dict[tuple[str, tuple[str, ...]], Any] = {}
        self._record: dict[Kind, Callable[[Any, float], None]] = {
            Kind.COUNTER: lambda child, value: child.inc(value),
            Kind.HISTOGRAM: lambda child, value: child.observe(value),
            Kind.GAUGE: lambda child, value: child.set(value),
        }

    def add(self, metric: Metric, value: float, labels: tuple[str, ...]) -> None:
        key = (metric.name, labels)
        child = self._children.get(key)
        if child is None:
            collector = self._metrics[metric.name]
            child = collector.labels(*labels) if labels else collector
            self._children[key] = child
        self._record[metric.kind](child, value)

    def flush(self, record: RequestRecord | None) -> None:
        """Nothing to write: the registry is read when scraped."""


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
