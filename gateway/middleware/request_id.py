"""The current request's id, readable anywhere in the request's context (logs, problems), and
nowhere else: a copy of the context that outlives its request (`persistence.request_scope`)
names no request, so a log line written outside every request says `-`."""

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

from persistence.request_scope import Begun, RequestScoped

REQUEST_ID_HEADER = "X-Request-ID"
NO_REQUEST_ID = "-"
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@+=-]{1,128}$")

_request_id: RequestScoped[str] = RequestScoped("request_id")


def current_request_id() -> str:
    return _request_id.get() or NO_REQUEST_ID


def begin_request(request_id: str) -> Begun[str]:
    """`request_id` names everything this context does until `end_request`, whatever id the
    context inherited."""
    return _request_id.begin(request_id)


def end_request(begun: Begun[str]) -> None:
    _request_id.end(begun)


@contextmanager
def request_named(request_id: str) -> Iterator[None]:
    begun = begin_request(request_id)
    try:
        yield
    finally:
        end_request(begun)


def adopt_request_id(sent: str | None) -> str:
    """The client's id when it is sane (short, printable, no spaces), else a fresh one."""
    if sent is not None and _SANE_REQUEST_ID.match(sent):
        return sent
    return os.urandom(16).hex()
