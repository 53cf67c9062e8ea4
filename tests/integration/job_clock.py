"""The jobs' clock in tests: epoch milliseconds the test moves past the grace period by hand."""

from datetime import UTC, datetime

GRACE_SECONDS = 900


class Clock:
    def __init__(self) -> None:
        self.ms = 1_800_000_000_000

    def __call__(self) -> int:
        return self.ms

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.ms / 1000, UTC)

    def pass_grace(self) -> None:
        self.ms += (GRACE_SECONDS + 1) * 1000
