"""Cardinality bounded by construction: a label value outside its declared set is recorded as
`other` (docs/operations.md, Metrics), whatever the caller passes."""

from persistence.metric_catalogue import OTHER, PROBLEMS, STORE_FAILURES, Metric
from persistence.telemetry import RequestRecord, Telemetry


class Kept:
    def __init__(self) -> None:
        self.values: list[tuple[str, tuple[str, ...]]] = []

    def add(self, metric: Metric, value: float, labels: tuple[str, ...]) -> None:
        self.values.append((metric.name, labels))

    def flush(self, record: RequestRecord | None) -> None:
        """Nothing is written."""


def test_a_value_outside_a_label_s_declared_set_is_recorded_as_other() -> None:
    sink = Kept()
    telemetry = Telemetry(
        sink, allowed={"operation": frozenset({"POST /events"}), "problem": frozenset({"conflict"})}
    )
    telemetry.add(PROBLEMS, 1, "POST /events", "conflict")
    telemetry.add(PROBLEMS, 1, "POST /users/alice", "conflict")
    telemetry.add(STORE_FAILURES, 1, "details", "the table is on fire")
    assert sink.values == [
        ("request_problems", ("POST /events", "conflict")),
        ("request_problems", (OTHER, "conflict")),
        ("store_failures", ("details", OTHER)),
    ]
