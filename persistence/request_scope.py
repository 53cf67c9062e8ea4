"""Context values that belong to one request and cannot outlive it (its deadline, its id).

asyncio copies the current context into every callback and task it makes, and some of those
copies outlive the request that made them: uvicorn resumes reading a connection it paused (a body
over 64 KiB) from inside the request's task, so that connection's later callbacks, and the
tasks of its later requests, run in copies of the request's context. A value set in a plain
ContextVar would still be set there, a request's deadline in every later request on the
connection. So each value is held together with its scope: `begin` starts a scope that ignores
whatever the context inherited, `end` closes it, and a value whose scope is closed reads as unset
in every copy that still holds it. The threads a request runs its blocking calls in share its
open scope (their contexts are copies too), and the request waits for them before it ends.
"""

from contextvars import ContextVar, Token
from typing import Generic, TypeVar

Value = TypeVar("Value")


class _Scope:
    __slots__ = ("open",)

    def __init__(self) -> None:
        self.open = True


class Begun(Generic[Value]):
    """What `RequestScoped.begin` started, for `RequestScoped.end`."""

    __slots__ = ("scope", "token")

    def __init__(self, token: Token[tuple[Value, _Scope] | None], scope: _Scope) -> None:
        self.token = token
        self.scope = scope


class RequestScoped(Generic[Value]):
    """A context variable whose value lives in a scope: unset once that scope has ended."""

    def __init__(self, name: str) -> None:
        self._var: ContextVar[tuple[Value, _Scope] | None] = ContextVar(name, default=None)

    def get(self) -> Value | None:
        held = self._var.get()
        if held is None or not held[1].open:
            return None
        return held[0]

    def begin(self, value: Value) -> Begun[Value]:
        """A new scope holding `value`, whatever this context inherited."""
        scope = _Scope()
        return Begun(self._var.set((value, scope)), scope)

    def end(self, begun: Begun[Value]) -> None:
        """Closes the scope, in this context and in every copy made of it, and restores what
        this context held before `begin`."""
        begun.scope.open = False
        self._var.reset(begun.token)

    def replace(self, value: Value) -> Token[tuple[Value, _Scope] | None] | None:
        """`value` in place of the current one, in the same scope, until `restore`; nothing
        (None) when no scope is open."""
        held = self._var.get()
        if held is None or not held[1].open:
            return None
        return self._var.set((value, held[1]))

    def restore(self, token: Token[tuple[Value, _Scope] | None] | None) -> None:
        if token is not None:
            self._var.reset(token)
