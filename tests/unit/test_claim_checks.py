"""Which stream records schedule a check, and when the check is due."""

from collections.abc import Sequence

from gateway.resolvers.claim_checks import DELAY_MARGIN_SECONDS, claimed_keys, schedule
from tests.claim_events import stream_records


class RecordingQueue:
    def __init__(self) -> None:
        self.sent: list[tuple[list[str], int]] = []

    def send(self, event_ids: Sequence[str], delay_seconds: int) -> None:
        self.sent.append((list(event_ids), delay_seconds))


def test_made_and_changed_items_are_checked_once_each_and_removed_ones_never() -> None:
    records = [
        *stream_records(["a", "b"], made_s=100.0),
        *stream_records(["a"], made_s=101.0, name="MODIFY"),
        *stream_records(["c"], made_s=102.0, name="REMOVE"),
    ]
    assert claimed_keys(records) == (["a", "b"], 101.0)


def test_the_check_is_due_a_grace_period_after_the_newest_claim() -> None:
    queue = RecordingQueue()
    records = stream_records(["a"], made_s=1000.0) + stream_records(["b"], made_s=1010.0)
    assert schedule(records, queue, grace_seconds=900, clock=lambda: 1012.0) == 2
    assert queue.sent == [(["a", "b"], 900 - 2 + DELAY_MARGIN_SECONDS)]


def test_records_older_than_the_grace_period_are_checked_at_once() -> None:
    queue = RecordingQueue()
    schedule(stream_records(["a"], made_s=0.0), queue, grace_seconds=900, clock=lambda: 5000.0)
    ((_, delay),) = queue.sent
    assert delay < 0  # the queue makes it 0


def test_a_batch_with_no_claim_queues_nothing() -> None:
    queue = RecordingQueue()
    assert schedule(stream_records(["a"], made_s=1.0, name="REMOVE"), queue, grace_seconds=900) == 0
    assert queue.sent == []
