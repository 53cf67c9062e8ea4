"""The current request's id, readable anywhere in the request's context (logs, problems)."""

import os
import re
from contextvars import ContextVar

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@+=-]{1,128}$")

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")


def current_request_id() -> str:
    request_id: str = request_id_var.get()
    return request_id


def adopt_request_id(sent: str | None) -> str:
    """The client's id when it is sane (short, printable, no spaces), else a fresh one."""
    if sent is not None and _SANE_REQUEST_ID.match(sent):
        return sent
    return os.urandom(16).hex()
