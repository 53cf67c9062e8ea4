"""What Lambda's metrics and every deployment's traces look like: one EMF line per request that
the EMF specification's JSON schema accepts, a span tree per request (request, claim, insert,
commit), and log lines that name the trace of their request."""

import io
import json
import logging
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from gateway.app import create_app
from gateway.metrics import EmfSink
from gateway.middleware.observability import access_logger, configure_logging
from gateway.settings import Settings
from persistence.telemetry import Telemetry
from tests.api.apps import FlakyDynamoDB
from tests.emf import assert_valid_emf
from tests.factories import make_event, unique_user


@pytest.fixture
def emf() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def emf_client(settings: Settings, emf: io.StringIO) -> Iterator[TestClient]:
    telemetry = Telemetry(EmfSink(emf))
    app = create_app(settings.model_copy(update={"metrics": "emf"}), telemetry=telemetry)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_each_request_writes_one_emf_line_the_specification_accepts(
    emf_client: TestClient, emf: io.StringIO
) -> None:
    user = unique_user()
    requests = [
        ("POST", "/events", make_event(userId=user), 201),
        ("GET", f"/events/{user}", None, 200),
        ("POST", "/events", {"userId": user}, 422),
        ("POST", "/events/batch", {"events": [make_event() for _ in range(3)]}, 200),
        ("GET", "/no/such/path", None, 404),
    ]
    lines: list[dict[str, Any]] = []
    for method, path, body, status in requests:
        assert emf_client.request(method, path, json=body).status_code == status
        written = emf.getvalue().splitlines()
        assert len(written) == len(lines) + 1, "one line per request"
        lines.append(json.loads(written[-1]))
    for line in lines:
        assert_valid_emf(line)
    created, listed, refused, batch, unknown = lines
    assert {
        key: created[key] for key in ("Operation", "Requests", "Responses2xx", "Events.created")
    } == {"Operation": "POST /events", "Requests": 1, "Responses2xx": 1, "Events.created": 1}
    assert created["Latency"] > 0 and created["StoreLatency.metadata"]
    directives = created["_aws"]["CloudWatchMetrics"]
    assert [d["Dimensions"] for d in directives] == [[["Operation"], []], [[]]]
    assert {"Name": "Latency", "Unit": "Milliseconds"} in directives[0]["Metrics"]
    assert listed["Operation"] == "GET /events/{userId}"
    assert refused["Responses4xx"] == 1 and refused["Problems.validation"] == 1
    assert batch["BatchSize"] == 3 and batch["Claims.made"] == 3
    assert unknown["Operation"] == "unmatched"


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def traced_client(settings: Settings, spans: InMemorySpanExporter) -> Iterator[TestClient]:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    telemetry = Telemetry(tracer=provider.get_tracer("test"))
    with TestClient(create_app(settings, telemetry=telemetry)) as client:
        spans.clear()  # the tables made at start-up
        yield client


def tree(spans: tuple[ReadableSpan, ...]) -> list[Any]:
    """Each root span as (name, [children...]), children in the order they started."""
    by_parent: dict[int | None, list[ReadableSpan]] = {}
    for span in sorted(spans, key=lambda span: span.start_time or 0):
        parent = None if span.parent is None else span.parent.span_id
        by_parent.setdefault(parent, []).append(span)

    def node(span: ReadableSpan) -> Any:
        children = by_parent.get(span.context.span_id, [])
        return (span.name, [node(child) for child in children]) if children else span.name

    return [node(root) for root in by_parent.get(None, [])]


def test_a_write_is_one_trace_request_claim_insert_commit(
    traced_client: TestClient, spans: InMemorySpanExporter
) -> None:
    answer = traced_client.post(
        "/events", json=make_event(), headers={"X-Request-ID": "traced-write-1"}
    )
    assert answer.status_code == 201
    assert tree(spans.get_finished_spans()) == [
        (
            "POST /events",
            [
                ("claim", ["details UpdateItem"]),
                ("insert", ["metadata INSERT", "metadata COMMIT"]),
            ],
        )
    ]
    (request,) = [span for span in spans.get_finished_spans() if span.parent is None]
    assert request.attributes is not None
    assert request.attributes["eventlog.request_id"] == "traced-write-1"
    assert request.attributes["http.response.status_code"] == 201
    assert {span.context.trace_id for span in spans.get_finished_spans()} == {
        request.context.trace_id
    }


def test_a_read_is_a_trace_of_its_query_and_its_details(
    traced_client: TestClient, spans: InMemorySpanExporter
) -> None:
    event = make_event(eventId=str(uuid.uuid4()))
    assert traced_client.post("/events", json=event).status_code == 201
    spans.clear()
    assert traced_client.get(f"/events/{event['userId']}").status_code == 200
    assert tree(spans.get_finished_spans()) == [
        ("GET /events/{userId}", ["metadata SELECT", "details BatchGetItem"])
    ]


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """The app's JSON log lines, as configure_logging writes them, into a buffer."""
    root, saved = logging.getLogger(), logging.getLogger().handlers[:]
    saved_access = access_logger.handlers[:], access_logger.propagate
    level = root.level
    lines = io.StringIO()
    configure_logging("INFO", lines)
    yield lines
    root.handlers[:] = saved
    root.setLevel(level)
    access_logger.handlers[:], access_logger.propagate = saved_access


def test_the_log_lines_of_a_503_name_its_trace(
    settings: Settings,
    flaky_dynamodb: Any,
    spans: InMemorySpanExporter,
    log_lines: io.StringIO,
) -> None:
    flaky: FlakyDynamoDB = flaky_dynamodb({"UpdateItem"})
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    telemetry = Telemetry(tracer=provider.get_tracer("test"))
    failing = settings.model_copy(update={"dynamodb_endpoint": flaky.url})
    with TestClient(create_app(failing, telemetry=telemetry)) as client:
        answer = client.post("/events", json=make_event(), headers={"X-Request-ID": "lost-1"})
    assert answer.status_code == 503
    (request,) = [span for span in spans.get_finished_spans() if span.name == "POST /events"]
    trace_id = format(request.context.trace_id, "032x")
    lines = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    of_request = [line for line in lines if line.get("request_id") == "lost-1"]
    assert {line["logger"] for line in of_request} >= {"eventlog.access", "persistence.details"}
    assert all(line["trace_id"] == trace_id for line in of_request)
    (failed,) = [span for span in spans.get_finished_spans() if span.name == "details UpdateItem"]
    assert not failed.status.is_ok


GLOBAL_PROVIDER_SCRIPT = """
import json
from fastapi.testclient import TestClient
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from gateway.app import create_app
from gateway.settings import Settings
from persistence.telemetry import Telemetry

spans = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(spans))
trace.set_tracer_provider(provider)  # as OTLP's set-up and the ADOT layer do
app = create_app(Settings(), telemetry=Telemetry(tracer=provider.get_tracer("test")))
with TestClient(app) as client:
    spans.clear()
    assert client.get("/health").status_code == 200
print(json.dumps([span.name for span in spans.get_finished_spans()]))
"""


def test_with_a_global_tracer_provider_a_request_is_still_one_span_of_ours() -> None:
    """A provider installed for the whole process (OTLP's set-up, the ADOT Lambda layer) does
    not make FastAPI add server spans of its own beside the request's."""
    ran = subprocess.run(
        [sys.executable, "-c", GLOBAL_PROVIDER_SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(ran.stdout.splitlines()[-1]) == ["GET /health"]
