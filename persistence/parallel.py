"""Several blocking store calls at once, a bounded number at a time, in the caller's context.

A batch's DynamoDB writes are single-item calls (a conditional UpdateItem or DeleteItem has no
batch form), so a batch of 100 would otherwise wait for 100 round trips in a row. The calls run
in a pool of threads owned by the store; each runs in a copy of the caller's context, so it sees
the request's deadline (`persistence.deadline`) and request id as the caller would.
"""

import contextvars
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

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
        exception it raised, in the items' order. Returns once every call has ended."""
        if len(items) <= 1 or self.workers == 1:
            return [_outcome(call, item) for item in items]
        executor = self._running()
        futures = [
            executor.submit(contextvars.copy_context().run, _outcome, call, item) for item in items
        ]
        return [future.result() for future in futures]

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


def _outcome(call: Callable[[Item], Result], item: Item) -> Result | Exception:
    try:
        return call(item)
    except Exception as exc:  # handed to the caller, who decides what each failure means
        return exc
