"""Several blocking store calls at once, a bounded number at a time, in the caller's context.

A batch's DynamoDB writes are single-item calls (a conditional UpdateItem or DeleteItem has no
batch form), so a batch of 100 would otherwise wait for 100 round trips in a row. The calls run
in a pool of threads owned by the store, shared by every request; each request's calls run in
lanes of its own (at most `workers` of them, each taking the request's next call when it is
done with one), so requests are served in the order they came rather than all interleaved,
and each finishes as soon as its own calls do. Each lane runs in a copy of the caller's
context, so its calls see the request's deadline (`persistence.deadline`) and request id as
the caller would, and a call whose turn comes after the deadline is refused before it is even
built (its result is `DeadlineExceeded`): under overload, a request that waited too long in
the queue answers at once instead of making calls nobody waits for.
"""

import contextvars
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from persistence.deadline import DeadlineExceeded, remaining_seconds

Item = TypeVar("Item")
Result = TypeVar("Result")


class BoundedParallel:
    def __init__(self, workers: int, *, name: str) -> None:
        self.workers = workers
        self._name = name
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None

    def map(
        self, call: Callable[[Item], Result], items: Sequence[Item]
    ) -> list[Result | Exception]:
        """`call(item)` for every item, at most `workers` at a time; each result, or the
        exception it raised (`DeadlineExceeded` for a call not started by the deadline), in the
        items' order. Returns once every call has ended."""
        if len(items) <= 1 or self.workers == 1:
            return [_in_time(call, item) for item in items]
        results: list[Result | Exception] = [DeadlineExceeded()] * len(items)
        turns = iter(range(len(items)))
        taking = threading.Lock()

        def lane() -> None:
            while True:
                with taking:
                    index = next(turns, None)
                if index is None:
                    return
                results[index] = _in_time(call, items[index])

        executor = self._running()
        lanes = [
            executor.submit(contextvars.copy_context().run, lane)
            for _ in range(min(self.workers, len(items)))
        ]
        for running in lanes:
            running.result()
        return results

    def close(self) -> None:
        """Stop the threads (a later `map` starts new ones)."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)

    def _running(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix=self._name)
            return self._executor


def _in_time(call: Callable[[Item], Result], item: Item) -> Result | Exception:
    """`call(item)`, or the exception it raised, or DeadlineExceeded without calling it when
    the deadline has passed."""
    left = remaining_seconds()
    if left is not None and left <= 0:
        return DeadlineExceeded()
    try:
        return call(item)
    except Exception as exc:  # handed to the caller, who decides what each failure means
        return exc
