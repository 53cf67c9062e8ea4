"""The telemetry of a process: its metrics sink (EVENTLOG_METRICS) and, when an OTLP endpoint is
configured, its tracer.

Traces follow OpenTelemetry's own variables: with `OTEL_EXPORTER_OTLP_ENDPOINT` (or
`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) set, spans are exported over OTLP/HTTP in batches, named by
`OTEL_SERVICE_NAME` (default `eventlog`); without, no tracer exists and no span is made. Where a
provider is already installed (the ADOT Lambda layer's `otel-instrument` wrapper installs one
that sends to X-Ray), spans go to it.
"""

import atexit
import logging
import os

from opentelemetry import trace

from gateway.metrics import EmfSink
from gateway.settings import Settings
from persistence.telemetry import MetricsSink, Telemetry

logger = logging.getLogger(__name__)

OTLP_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
TRACER_NAME = "eventlog"


def telemetry_for(settings: Settings, tracer: trace.Tracer | None = None) -> Telemetry:
    """The sink the settings name, and `tracer` (else the environment's: `configured_tracer`)."""
    sink: MetricsSink | None = None
    if settings.metrics == "prometheus":
        from gateway.prometheus_sink import PrometheusSink

        sink = PrometheusSink()
    elif settings.metrics == "emf":
        sink = EmfSink()
    return Telemetry(sink, tracer or configured_tracer())


def configured_tracer() -> trace.Tracer | None:
    if not any(os.environ.get(name) for name in OTLP_VARIABLES):
        return None
    provider = trace.get_tracer_provider()
    if not isinstance(provider, trace.ProxyTracerProvider):
        return provider.get_tracer(TRACER_NAME)  # installed by the process's wrapper
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        logger.warning("an OTLP endpoint is set but the otlp extra is not installed: no traces")
        return None
    service = os.environ.get("OTEL_SERVICE_NAME", TRACER_NAME)
    sdk_provider = TracerProvider(resource=Resource.create({"service.name": service}))
    sdk_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(sdk_provider)
    atexit.register(sdk_provider.shutdown)
    return sdk_provider.get_tracer(TRACER_NAME)
