"""Requests interleaved in an order a test states: each request runs in a thread of its own, and
each call it makes to a store (a method of the store protocols, e.g. `details.claim_many`) waits
for its turn. A test lets one request make its next calls, then another, as the protocol
model's traces do (tests/unit/erasure_model.py), and the real resolver runs exactly that order
against whatever stores it is given. Turns are handed over and awaited with a condition
variable, never a sleep; each wait is bounded only to fail a test that would hang."""

import threading
from collections.abc import Callable
from typing import Any

HANG_GUARD_SECONDS = 60


class _Actor:
    def __init__(self, name: str) -> None:
        self.name = name
        self.waiting: str | None = None  # the store call it waits to make
        self.permits = 0
        self.calls_done = 0
        self.free = False
        self.ended = False
        self.result: Any = None
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None


class Interleaving:
    def __init__(self, metadata: Any, details: Any) -> None:
        self.metadata = _Gated(self, "metadata", metadata)
        self.details = _Gated(self, "details", details)
        self._actors: dict[str, _Actor] = {}
        self._local = threading.local()
        self._turns = threading.Condition()

    def start(self, name: str, request: Callable[[], Any]) -> None:
        """Begin `request` as `name`; it waits at its first store call."""
        actor = _Actor(name)
        self._actors[name] = actor

        def run() -> None:
            self._local.actor = actor
            try:
                actor.result = request()
            except BaseException as exc:  # a request's outcome, handed to the test
                actor.error = exc
            finally:
                with self._turns:
                    actor.ended = True
                    self._turns.notify_all()

        actor.thread = threading.Thread(target=run, name=f"request {name}", daemon=True)
        actor.thread.start()

    def step(self, name: str, *calls: str) -> None:
        """Let `name` make exactly these store calls, in this order, and wait for each."""
        actor = self._actors[name]
        for call in calls:
            with self._turns:
                self._await(lambda: actor.waiting is not None or actor.ended, name)
                made = "nothing more (it ended)" if actor.ended else actor.waiting
                assert made == call, f"{name} was to call {call}, but calls {made}"
                actor.permits += 1
                self._turns.notify_all()
                self._await_call(actor, actor.calls_done + 1)

    def finish(self, name: str) -> Any:
        """Let `name` run to its end without waiting for turns; its result (or its error)."""
        actor = self._actors[name]
        with self._turns:
            actor.free = True
            self._turns.notify_all()
            self._await(lambda: actor.ended, name)
        if actor.error is not None:
            raise actor.error
        return actor.result

    def gate(self, call: str) -> Callable[[], None] | None:
        """Wait for the calling request's turn to make `call`; what to run after it. Calls
        from any other thread (the test's own, a store's pool) pass at once."""
        actor: _Actor | None = getattr(self._local, "actor", None)
        if actor is None:
            return None
        with self._turns:
            actor.waiting = call
            self._turns.notify_all()
            self._await(lambda: actor.permits > 0 or actor.free, actor.name)
            if actor.permits:
                actor.permits -= 1
            actor.waiting = None

        def done() -> None:
            with self._turns:
                actor.calls_done += 1
                self._turns.notify_all()

        return done

    def _await_call(self, actor: _Actor, calls: int) -> None:
        self._await(lambda: actor.calls_done >= calls or actor.ended, actor.name)

    def _await(self, predicate: Callable[[], bool], name: str) -> None:
        if not self._turns.wait_for(predicate, timeout=HANG_GUARD_SECONDS):
            raise AssertionError(f"the turns of {name} never came (a hang)")


class _Gated:
    """A store whose protocol methods wait for the calling request's turn."""

    def __init__(self, turns: Interleaving, store_name: str, store: Any) -> None:
        self._turns = turns
        self._name = store_name
        self._store = store

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._store, name)
        if not callable(method) or name.startswith("_"):
            return method

        def gated(*args: Any, **kwargs: Any) -> Any:
            done = self._turns.gate(f"{self._name}.{name}")
            try:
                return method(*args, **kwargs)
            finally:
                if done is not None:
                    done()

        return gated
