"""The request deadline: one point in time every wait of a request shares, and no other's."""

import asyncio
import contextvars

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.observability import RequestContextMiddleware
from gateway.request_deadline import RequestDeadlineMiddleware
from gateway.request_id import current_request_id
from persistence.deadline import (
    DeadlineExceeded,
    begin_request_deadline,
    budget,
    deadline_after,
    end_request_deadline,
    remaining_seconds,
    reserving,
    whole_seconds_budget,
)
from tests.docs import ROOT


def test_without_a_deadline_every_wait_keeps_its_own_bound() -> None:
    assert remaining_seconds() is None
    assert budget(7.5) == 7.5
    assert whole_seconds_budget(5) == 5


def test_a_wait_gets_what_is_left_when_that_is_less_than_its_bound() -> None:
    with deadline_after(2):
        assert 1 < budget(10) <= 2
        assert budget(0.5) == 0.5
        assert whole_seconds_budget(10) == 2  # rounded up: pyodbc counts whole seconds
    assert remaining_seconds() is None


def test_nothing_may_wait_once_the_deadline_has_passed() -> None:
    with deadline_after(0), pytest.raises(DeadlineExceeded):
        budget(10)


def test_an_inner_deadline_never_extends_the_outer_one() -> None:
    with deadline_after(1), deadline_after(100):
        assert budget(50) <= 1


def test_a_reserve_ends_the_block_earlier_and_is_given_back_after_it() -> None:
    with deadline_after(3):
        with reserving(1):
            assert 1 < budget(10) <= 2
        assert 2 < budget(10) <= 3
        with reserving(5), pytest.raises(DeadlineExceeded):
            budget(10)
    with reserving(1):
        assert remaining_seconds() is None


HTTP_SCOPE: Scope = {"type": "http", "method": "GET", "path": "/", "headers": []}


async def _nothing_received() -> Message:
    return {"type": "http.disconnect"}


async def _sent(_message: Message) -> None:
    return None


def serve(app: ASGIApp) -> None:
    """One request through `app`, as a task of an event loop, in the current context."""

    async def one() -> None:
        await app(HTTP_SCOPE, _nothing_received, _sent)

    asyncio.run(one())


def test_a_request_never_inherits_the_deadline_of_the_request_its_context_came_from() -> None:
    """uvicorn may start a connection's next request from a copy of an earlier request's
    context (the copy asyncio made when that request resumed reading): the next request has a
    deadline of its own, and outside every request the copy holds none."""
    leaked: list[contextvars.Context] = []
    left: list[float | None] = []

    async def first(scope: Scope, receive: Receive, send: Send) -> None:
        leaked.append(contextvars.copy_context())

    async def later(scope: Scope, receive: Receive, send: Send) -> None:
        left.append(remaining_seconds())

    serve(RequestDeadlineMiddleware(first, timeout_seconds=0))  # its deadline passed at once
    leaked[0].run(serve, RequestDeadlineMiddleware(later, timeout_seconds=5))
    assert left[0] is not None and 4 < left[0] <= 5
    assert leaked[0].run(remaining_seconds) is None


def test_a_log_line_outside_every_request_names_no_request() -> None:
    leaked: list[contextvars.Context] = []
    named: list[str] = []

    async def first(scope: Scope, receive: Receive, send: Send) -> None:
        named.append(current_request_id())
        leaked.append(contextvars.copy_context())

    async def later(scope: Scope, receive: Receive, send: Send) -> None:
        named.append(current_request_id())

    serve(RequestContextMiddleware(first))
    assert leaked[0].run(current_request_id) == "-"
    leaked[0].run(serve, RequestContextMiddleware(later))
    assert named[0] != named[1] and "-" not in named


@given(
    inherited=st.one_of(
        st.none(),
        st.floats(min_value=-1e6, max_value=0),  # a deadline long or just passed
        st.floats(min_value=1e-6, max_value=1e6),  # one still running, shorter or longer
    ),
    timeout=st.floats(min_value=0.5, max_value=300),
)
def test_a_request_deadline_is_its_own_whatever_its_context_held(
    inherited: float | None, timeout: float
) -> None:
    outer = None if inherited is None else begin_request_deadline(inherited)
    try:
        inner = begin_request_deadline(timeout)
        left = remaining_seconds()
        assert left is not None and timeout - 0.25 < left <= timeout
        copied = contextvars.copy_context()
        end_request_deadline(inner)
        assert copied.run(remaining_seconds) is None
        still = remaining_seconds()
        if inherited is None:
            assert still is None
        else:
            assert still is not None and inherited - 0.25 < still <= inherited
    finally:
        if outer is not None:
            end_request_deadline(outer)
    assert remaining_seconds() is None


def test_every_context_variable_of_ours_is_request_scoped() -> None:
    """A plain ContextVar set by a request lives on in the copies asyncio makes of its context
    (the leak above): each of ours is a `RequestScoped`, the one class that holds a ContextVar."""
    holders = {
        path.relative_to(ROOT).as_posix()
        for package in ("gateway", "persistence", "schema")
        for path in (ROOT / package).rglob("*.py")
        if "ContextVar(" in path.read_text()
    }
    assert holders == {"persistence/request_scope.py"}
