"""The request's deadline: one point in time by which every store call of a request must end.

The gateway starts it when a request arrives (from Lambda's remaining time, or the configured
request timeout); each wait below takes what is left of it, capped by its own configured bound:
the SQL pool wait, the SQL login, each SQL statement (query timeout, SQLite busy timeout), each
DynamoDB attempt and every backoff sleep. A wait that would start with nothing left raises
`DeadlineExceeded`, which each store answers as its own `StoreUnavailable`.

It lives in the request's context (`persistence.request_scope`): asyncio tasks and the worker
threads Starlette and Strawberry run blocking calls in (anyio copies the context into them) see
the deadline of their own request, and never that of another: a request's deadline starts afresh
whatever its context inherited, and a copy that outlives its request holds no deadline.
"""

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager

from persistence.request_scope import Begun, RequestScoped

_deadline: RequestScoped[float] = RequestScoped("store_deadline")

RequestDeadline = Begun[float]


class DeadlineExceeded(Exception):
    """The request's time is up: no store call may start or wait any longer."""


def begin_request_deadline(seconds: float) -> RequestDeadline:
    """From now on, every store call of this context ends within `seconds`, whatever deadline
    the context inherited; `end_request_deadline` ends that, here and in every copy of this
    context. For code on every request's path, where a context manager's generator costs more
    than the rest."""
    return _deadline.begin(time.monotonic() + seconds)


def end_request_deadline(begun: RequestDeadline) -> None:
    _deadline.end(begun)


@contextmanager
def deadline_after(seconds: float) -> Iterator[None]:
    """Every store call inside the block ends within `seconds` from now (or sooner, when an
    enclosing deadline comes first)."""
    wanted = time.monotonic() + seconds
    enclosing = _deadline.get()
    begun = _deadline.begin(wanted if enclosing is None else min(enclosing, wanted))
    try:
        yield
    finally:
        _deadline.end(begun)


@contextmanager
def budget_of_its_own(seconds: float) -> Iterator[None]:
    """Store calls inside the block end within `seconds` from now, whatever the request's
    deadline: for undoing a write the deadline cut, which must be tried even then (each such
    block is bounded, so the request still answers by its deadline plus `seconds`)."""
    begun = _deadline.begin(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.end(begun)


@contextmanager
def reserving(seconds: float) -> Iterator[None]:
    """Store calls inside the block end `seconds` before the deadline, so that work after the
    block (undoing a write, say) still has that much time."""
    current = _deadline.get()
    if current is None:
        yield
        return
    token = _deadline.replace(current - seconds)
    try:
        yield
    finally:
        _deadline.restore(token)


def remaining_seconds() -> float | None:
    """Seconds left before the deadline (negative once it has passed), or None without one."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()


def budget(bound: float) -> float:
    """How long the next wait may last: its configured bound, or less when the deadline is
    nearer. Raises `DeadlineExceeded` when nothing is left."""
    left = remaining_seconds()
    if left is None:
        return bound
    if left <= 0:
        raise DeadlineExceeded
    return min(bound, left)


def whole_seconds_budget(bound: int) -> int:
    """`budget` for drivers that count timeouts in whole seconds (pyodbc, where 0 means no
    limit): rounded up, so at least 1, and at most a second past the deadline."""
    return max(1, math.ceil(budget(bound)))
