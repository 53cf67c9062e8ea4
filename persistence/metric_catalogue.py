"""Every metric the service emits, in one place: its Prometheus name, its CloudWatch names, its
labels and the values each label may take.

Cardinality is bounded by construction: a label value outside its declared set is recorded as
`other` (`persistence.telemetry`), and no label carries a userId, an eventId or a raw path. The
alarms and the dashboard of template.yaml name CloudWatch metrics; a test holds each of those
names to one this catalogue declares.

CloudWatch names are templates: `{store}` is replaced by the label's value, so one Prometheus
metric with a `store` label is one CloudWatch metric per store (`Unavailable.details`). A label
a template leaves out is summed over in CloudWatch; `operation` is a CloudWatch dimension
(`Operation`) wherever the metric has it.
"""

from dataclasses import dataclass
from enum import Enum

OTHER = "other"


class Kind(Enum):
    COUNTER = "counter"
    HISTOGRAM = "histogram"
    GAUGE = "gauge"


class Unit(Enum):
    """CloudWatch's unit; Prometheus keeps seconds (the sinks convert to milliseconds)."""

    COUNT = "Count"
    SECONDS = "Milliseconds"


STORES = frozenset({"metadata", "details", "auth"})
# What made a store call fail: it did not answer in time, refused for load, could not be
# reached or refused the call, failed on its side, or failed in its COMMIT (outcome unknown).
FAILURE_KINDS = frozenset({"timeout", "throttle", "refused", "error", "in_doubt"})
SQL_CALLS = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "COMMIT", "OTHER"})
DYNAMODB_CALLS = frozenset(
    {"UpdateItem", "DeleteItem", "BatchGetItem", "Scan", "DescribeTable", "CreateTable"}
)
STORE_CALLS = SQL_CALLS | DYNAMODB_CALLS | {"JWKS"}
STATUS_CLASSES = frozenset({"2xx", "3xx", "4xx", "5xx"})
CLAIM_RESULTS = frozenset({"made", "released", "conflicted"})
FATES = frozenset({"created", "replayed", "conflict", "invalid", "forbidden"})
# The jobs, each a function of template.yaml: the reconcile job, the retention job, and the two
# halves of the delayed claim checks (the stream's scheduler, the queue's checker).
TASKS = frozenset({"reconcile", "retention", "claim_schedule", "claim_check"})
# Filled by the doors' wiring with the app's route templates and GraphQL operation types, and
# the problem types and GraphQL codes it can answer (`Telemetry(allowed=...)`).
REGISTERED: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Metric:
    name: str  # Prometheus, without the `eventlog_` prefix (counters gain `_total`)
    kind: Kind
    help: str
    labels: tuple[str, ...] = ()
    cloudwatch: tuple[str, ...] = ()
    unit: Unit = Unit.COUNT
    buckets: tuple[float, ...] = ()


LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0)
STORE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SIZE_BUCKETS = (1, 2, 5, 10, 25, 50, 100, 250, 500)

# Per operation (REST route template, GraphQL operation type).
REQUESTS = Metric(
    "requests",
    Kind.COUNTER,
    "Requests answered, by operation and status class.",
    ("operation", "status_class"),
    ("Requests", "Responses{status_class}"),
)
REQUEST_SECONDS = Metric(
    "request_duration_seconds",
    Kind.HISTOGRAM,
    "Time from a request's arrival to its answer's end.",
    ("operation",),
    ("Latency",),
    Unit.SECONDS,
    LATENCY_BUCKETS,
)
PROBLEMS = Metric(
    "request_problems",
    Kind.COUNTER,
    "Errors answered, by problem type (REST) or extensions.code (GraphQL).",
    ("operation", "problem"),
    ("Problems.{problem}",),
)
UNAVAILABLE = Metric(
    "unavailable_responses",
    Kind.COUNTER,
    "503 answers, by the store that did not answer.",
    ("store",),
    ("Unavailable.{store}",),
)
# Per store call.
STORE_CALL_SECONDS = Metric(
    "store_call_duration_seconds",
    Kind.HISTOGRAM,
    "One store call (a SQL statement or COMMIT, a DynamoDB operation, a JWKS fetch).",
    ("store", "call"),
    ("StoreLatency.{store}",),
    Unit.SECONDS,
    STORE_BUCKETS,
)
STORE_FAILURES = Metric(
    "store_failures",
    Kind.COUNTER,
    "Store calls that failed, by store and kind.",
    ("store", "kind"),
    ("StoreFailures.{store}.{kind}",),
)
POOL_WAIT_SECONDS = Metric(
    "sql_pool_wait_seconds",
    Kind.HISTOGRAM,
    "Wait for a pooled SQL connection.",
    (),
    ("PoolWait",),
    Unit.SECONDS,
    STORE_BUCKETS,
)
DYNAMODB_RETRIES = Metric(
    "dynamodb_retries", Kind.COUNTER, "DynamoDB attempts made again.", (), ("DynamoDBRetries",)
)
DYNAMODB_THROTTLES = Metric(
    "dynamodb_throttles",
    Kind.COUNTER,
    "DynamoDB attempts refused for load (throttled).",
    (),
    ("DynamoDBThrottles",),
)
CLAIMS = Metric(
    "claims",
    Kind.COUNTER,
    "Details claims made, released after a failed row write, or refused (other content).",
    ("result",),
    ("Claims.{result}",),
)
REPLAYS = Metric("replays", Kind.COUNTER, "Writes answered as replays.", (), ("Replays",))
BATCH_SIZE = Metric(
    "batch_size",
    Kind.HISTOGRAM,
    "Events in one batch request.",
    (),
    ("BatchSize",),
    buckets=SIZE_BUCKETS,
)
EVENT_FATES = Metric(
    "event_fates",
    Kind.COUNTER,
    "What became of each event a write carried.",
    ("fate",),
    ("Events.{fate}",),
)
ERASED_EVENTS = Metric(
    "erased_events", Kind.COUNTER, "Events erased by DELETE requests.", (), ("ErasedEvents",)
)
# Jobs: each run (each invocation of a claim-check function) writes these through
# `Telemetry.add` (`gateway.entrypoints.job_metrics`), on Lambda as one EMF line.
JOB_FAILURES = Metric(
    "job_failures",
    Kind.COUNTER,
    "Job runs that failed, and claim-check messages that did (SQS delivers them again).",
    ("task",),
    ("ReconcileFailures", "JobFailures.{task}"),
)
JOB_SECONDS = Metric(
    "job_duration_seconds",
    Kind.HISTOGRAM,
    "A job's run (a claim-check function's invocation), start to end.",
    ("task",),
    ("JobDuration.{task}",),
    Unit.SECONDS,
    (0.1, 1, 10, 60, 300, 900),
)
CLAIM_CHECKS_QUEUED = Metric(
    "claim_checks_queued",
    Kind.COUNTER,
    "Claims whose delayed check the stream's function queued.",
    (),
    ("ClaimChecksQueued",),
)
ITEMS_SCANNED = Metric(
    "reconcile_items_scanned",
    Kind.COUNTER,
    "Details items a sweep scanned or the claim checks read.",
    (),
    ("ItemsScanned",),
)
ORPHANS_FOUND = Metric(
    "orphans_found", Kind.COUNTER, "Details items with no event row.", (), ("OrphansFound",)
)
ORPHANS_DELETED = Metric(
    "orphans_deleted", Kind.COUNTER, "Orphans deleted by --apply.", (), ("OrphansDeleted",)
)
ROWS_WITHOUT_DETAILS = Metric(
    "rows_without_details",
    Kind.COUNTER,
    "Event rows whose details item is missing.",
    (),
    ("RowsWithoutDetails",),
)
ERASURES_COMPLETED = Metric(
    "erasures_completed",
    Kind.COUNTER,
    "Events of abandoned erasures a job finished.",
    (),
    ("ErasuresCompleted",),
)
ERASURES_PENDING = Metric(
    "erasures_pending",
    Kind.GAUGE,
    "Rows marked for erasure and not yet erased when a job last ended (in flight or abandoned).",
    (),
    ("ErasuresPending",),
)
RETENTION_EVENTS_REMOVED = Metric(
    "retention_events_removed",
    Kind.COUNTER,
    "Events removed for being older than the retention period.",
    (),
    ("RetentionEventsRemoved",),
)

CATALOGUE: tuple[Metric, ...] = (
    REQUESTS,
    REQUEST_SECONDS,
    PROBLEMS,
    UNAVAILABLE,
    STORE_CALL_SECONDS,
    STORE_FAILURES,
    POOL_WAIT_SECONDS,
    DYNAMODB_RETRIES,
    DYNAMODB_THROTTLES,
    CLAIMS,
    REPLAYS,
    BATCH_SIZE,
    EVENT_FATES,
    ERASED_EVENTS,
    JOB_FAILURES,
    JOB_SECONDS,
    CLAIM_CHECKS_QUEUED,
    ITEMS_SCANNED,
    ORPHANS_FOUND,
    ORPHANS_DELETED,
    ROWS_WITHOUT_DETAILS,
    ERASURES_COMPLETED,
    ERASURES_PENDING,
    RETENTION_EVENTS_REMOVED,
)

# The values each label may take; `operation` and `problem` are the app's (REGISTERED).
LABEL_VALUES: dict[str, frozenset[str]] = {
    "operation": REGISTERED,
    "problem": REGISTERED,
    "status_class": STATUS_CLASSES,
    "store": STORES,
    "call": STORE_CALLS,
    "kind": FAILURE_KINDS,
    "result": CLAIM_RESULTS,
    "fate": FATES,
    "task": TASKS,
}
