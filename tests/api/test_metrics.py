"""The metrics an operator scrapes from `GET /metrics`, read back with prometheus-client's own
parser: requests by operation, status class and problem; store calls and their failures by kind;
the write protocol's claims and fates; and labels that never carry a user, an event or a path."""

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from pydantic import SecretStr

from gateway.app import create_app
from gateway.graphql.refusal import GRAPHQL_CODES, GRAPHQL_OPERATIONS
from gateway.middleware.observability import operation_names
from gateway.rest.problems import problem_slugs
from gateway.settings import Settings
from persistence.metric_catalogue import LABEL_VALUES, OTHER, REGISTERED
from tests.api.apps import FlakyDynamoDB
from tests.factories import make_event, unique_user

TOKEN = "metrics-" + "t" * 32
BEARER = {"Authorization": f"Bearer {TOKEN}"}


def with_token(settings: Settings, **overrides: Any) -> Settings:
    return settings.model_copy(update={"metrics_token": SecretStr(TOKEN), **overrides})


@pytest.fixture
def metered(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(with_token(settings)), raise_server_exceptions=False) as client:
        yield client


def scrape(client: TestClient) -> list[Sample]:
    answer = client.get("/metrics", headers=BEARER)
    assert answer.status_code == 200
    return [
        sample
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
        if not sample.name.endswith("_created")
    ]


def values(samples: list[Sample], name: str, *labels: str) -> dict[tuple[str, ...], float]:
    return {
        tuple(sample.labels[label] for label in labels): sample.value
        for sample in samples
        if sample.name == name
    }


def test_requests_are_counted_by_route_template_status_class_and_problem(
    metered: TestClient,
) -> None:
    user = unique_user()
    assert metered.post("/events", json=make_event(userId=user)).status_code == 201
    assert metered.get(f"/events/{user}").status_code == 200
    assert metered.head(f"/events/{user}").status_code == 200
    assert metered.post("/events", json={"userId": user}).status_code == 422
    assert metered.get(f"/events/{user}/{uuid.uuid4()}").status_code == 404
    query = {"query": f'{{ events(userId: "{user}") {{ nodes {{ eventId }} }} }}'}
    assert metered.post("/graphql", json=query).status_code == 200
    samples = scrape(metered)
    assert values(samples, "eventlog_requests_total", "operation", "status_class") == {
        ("POST /events", "2xx"): 1,
        ("GET /events/{userId}", "2xx"): 1,
        ("HEAD /events/{userId}", "2xx"): 1,
        ("POST /events", "4xx"): 1,
        ("GET /events/{userId}/{eventId}", "4xx"): 1,
        ("graphql query", "2xx"): 1,
    }
    assert values(samples, "eventlog_request_problems_total", "operation", "problem") == {
        ("POST /events", "validation"): 1,
        ("GET /events/{userId}/{eventId}", "not-found"): 1,
    }
    latency = values(samples, "eventlog_request_duration_seconds_count", "operation")
    assert latency[("POST /events",)] == 2
    buckets = values(samples, "eventlog_request_duration_seconds_bucket", "operation", "le")
    assert buckets[("POST /events", "15.0")] == 2  # the deadline is a bucket bound


def test_the_write_protocol_counts_claims_replays_batch_sizes_and_fates(
    metered: TestClient,
) -> None:
    event = make_event(eventId=str(uuid.uuid4()))
    other = {**event, "details": {"other": True}}
    batch = {"events": [event, make_event(), other, {"userId": "x"}]}
    before = values(scrape(metered), "eventlog_store_call_duration_seconds_count", "store", "call")
    assert metered.post("/events", json=event).status_code == 201
    assert metered.post("/events/batch", json=batch).status_code == 200
    samples = scrape(metered)
    assert values(samples, "eventlog_event_fates_total", "fate") == {
        ("created",): 2,
        ("replayed",): 1,
        ("conflict",): 1,
        ("invalid",): 1,
    }
    assert values(samples, "eventlog_replays_total") == {(): 1}
    assert values(samples, "eventlog_claims_total", "result")[("made",)] == 2
    assert values(samples, "eventlog_batch_size_count") == {(): 1}
    assert values(samples, "eventlog_batch_size_sum") == {(): 4}
    after = values(samples, "eventlog_store_call_duration_seconds_count", "store", "call")
    calls = {key: count - before.get(key, 0) for key, count in after.items()}
    assert calls[("details", "UpdateItem")] == 2
    assert calls[("details", "BatchGetItem")] == 1  # the replay's details
    assert calls[("metadata", "INSERT")] == 2
    assert calls[("metadata", "COMMIT")] == 2
    assert calls[("metadata", "SELECT")] == 2  # the rows of the eventIds given, per request
    assert values(samples, "eventlog_sql_pool_wait_seconds_count")[()] >= 2


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        ((500, b'{"__type": "InternalServerError"}'), "error"),
        ((400, b'{"__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException"}'), "throttle"),
    ],
)
def test_a_503_is_counted_by_the_store_that_failed_and_how(
    settings: Settings, flaky_dynamodb: Any, answer: tuple[int, bytes], kind: str
) -> None:
    flaky: FlakyDynamoDB = flaky_dynamodb({"UpdateItem"})
    flaky.answer = answer
    failing = with_token(settings, dynamodb_endpoint=flaky.url, dynamodb_max_attempts=2)
    with TestClient(create_app(failing), raise_server_exceptions=False) as client:
        assert client.post("/events", json=make_event()).status_code == 503
        samples = scrape(client)
    assert values(samples, "eventlog_unavailable_responses_total", "store") == {("details",): 1}
    assert values(samples, "eventlog_store_failures_total", "store", "kind") == {
        ("details", kind): 1
    }
    assert values(samples, "eventlog_dynamodb_retries_total") == {(): 1}
    throttles = values(samples, "eventlog_dynamodb_throttles_total")[()]
    assert throttles == (2 if kind == "throttle" else 0)
    problems = values(samples, "eventlog_request_problems_total", "operation", "problem")
    assert problems == {("POST /events", "unavailable"): 1}


def test_no_user_id_event_id_or_raw_path_becomes_a_label(metered: TestClient) -> None:
    """Many users, events, unknown paths and methods: the series stay the same few, and every
    label value is one of those declared (the app's route templates for `operation`)."""

    sent: list[str] = []

    def traffic(rounds: int) -> None:
        for _ in range(rounds):
            user, event_id = unique_user(), str(uuid.uuid4())
            sent.extend((user, event_id))
            metered.post("/events", json=make_event(userId=user, eventId=event_id))
            metered.get(f"/events/{user}/{event_id}")
            metered.get(f"/events/{user}/not-{event_id}")
            metered.get(f"/{user}/{event_id}")
            metered.request("BREW", f"/events/{user}")
            metered.delete(f"/events/{user}")
            query = f'{{ event(userId: "{user}", eventId: "{event_id}") {{ eventId }} }}'
            metered.post("/graphql", json={"query": query})

    scrape(metered)  # the scrape is a request too: its own series exist from here on
    traffic(3)
    series = {(sample.name, tuple(sorted(sample.labels.items()))) for sample in scrape(metered)}
    traffic(12)
    later = scrape(metered)
    assert {(sample.name, tuple(sorted(sample.labels.items()))) for sample in later} == series
    app = metered.app
    allowed = {
        **LABEL_VALUES,
        "operation": operation_names(app.router.routes) | GRAPHQL_OPERATIONS,  # type: ignore[attr-defined]
        "problem": problem_slugs() | GRAPHQL_CODES,
    }
    assert frozenset() == REGISTERED
    for sample in later:
        for label, value in sample.labels.items():
            if label == "le":
                continue
            assert value in allowed[label] | {OTHER}, (sample.name, label, value)
            assert not any(given in value for given in sent), (sample.name, label, value)
    operations = set(values(later, "eventlog_requests_total", "operation"))
    assert ("unmatched",) in operations  # the unknown paths
    assert ("OTHER /events/{userId}",) in operations  # BREW on a route's path


def test_a_method_a_route_does_not_serve_is_counted_under_the_route_and_an_unknown_path_unmatched(
    metered: TestClient,
) -> None:
    user = unique_user()
    assert metered.request("BREW", f"/events/{user}").status_code == 405
    assert metered.put(f"/events/{user}").status_code == 405
    assert metered.patch("/events").status_code == 405
    assert metered.get(f"/no-such-path/{user}").status_code == 404
    assert metered.get("/events/").status_code == 404  # no route has the trailing slash
    assert values(scrape(metered), "eventlog_requests_total", "operation", "status_class") == {
        ("OTHER /events/{userId}", "4xx"): 2,
        ("OTHER /events", "4xx"): 1,
        ("unmatched", "4xx"): 2,
    }


def test_metrics_outside_embedded_mode_need_the_metrics_token(
    settings: Settings, metered: TestClient
) -> None:
    assert metered.get("/metrics").status_code == 401
    assert metered.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert metered.get("/metrics", headers=BEARER).status_code == 200
    assert "/metrics" not in metered.get("/openapi.json").json()["paths"]
    with TestClient(create_app(settings), raise_server_exceptions=False) as untokened:
        answer = untokened.get("/metrics")
    assert answer.status_code == 404
    assert answer.json()["type"] == "urn:eventlog:problem:not-found"


def test_metrics_off_serves_no_metrics(settings: Settings) -> None:
    off = with_token(settings, metrics="off")
    with TestClient(create_app(off), raise_server_exceptions=False) as client:
        assert client.post("/events", json=make_event()).status_code == 201
        assert client.get("/metrics", headers=BEARER).status_code == 404


def test_a_cors_preflight_is_answered_and_counted_nowhere(settings: Settings) -> None:
    origin = "https://app.example.com"
    app = create_app(with_token(settings, cors_allow_origins=[origin]))
    with TestClient(app) as client:
        preflight = client.options(
            "/events",
            headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == origin
        assert client.get("/health").status_code == 200
        counted = [key[0] for key in values(scrape(client), "eventlog_requests_total", "operation")]
        assert [operation for operation in counted if operation.startswith("OPTIONS")] == []
        assert [operation for operation in counted if "/events" in operation] == []
        assert "GET /health" in counted
