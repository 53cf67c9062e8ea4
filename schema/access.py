"""Who may do what: the caller a transport identified, and the one rule both doors obey.

A caller is whoever a bearer token names (`subject`), with the scopes the token grants. The rule:
a user's own token may do anything an action allows to that user's events; a scope extends the
action to every user's events (a backend that forwards events, an analyst who reads them). With
authentication turned off, the caller is unrestricted. Transports only build the `Caller`; the
resolver layer calls `authorize` before it touches a store, so REST and GraphQL cannot disagree.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from schema.errors import EventLogError, Forbidden, Unauthenticated


class Action(Enum):
    """What an operation does to a user's events: (verb for messages, scope that allows it for
    every user). A new operation adds its action here and calls `authorize` with it."""

    RECORD = ("record", "events:write")
    READ = ("read", "events:read")
    DELETE = ("delete", "events:delete")

    @property
    def verb(self) -> str:
        return self.value[0]

    @property
    def scope(self) -> str:
        return self.value[1]


@dataclass(frozen=True)
class Caller:
    """Who is asking. `subject` is None for an anonymous caller, whose `refusal` says why it has
    no identity (no token, or the one sent failed) so an operation can answer exactly that."""

    subject: str | None = None
    scopes: frozenset[str] = frozenset()
    unrestricted: bool = False
    refusal: EventLogError = field(default_factory=Unauthenticated, compare=False)

    @classmethod
    def anyone(cls) -> "Caller":
        """Authentication is off: every operation on every user's events is allowed."""
        return cls(unrestricted=True)

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> "Caller":
        """The caller a verified token names: its `sub`, and its scopes."""
        return cls(subject=str(claims["sub"]), scopes=scopes_of(claims))

    @property
    def identified(self) -> bool:
        return self.unrestricted or self.subject is not None

    def may(self, action: Action, user_id: str) -> bool:
        return self.unrestricted or action.scope in self.scopes or self.subject == user_id


def require_identity(caller: Caller) -> None:
    """Every operation needs to know who asks before anything else (even input errors)."""
    if not caller.identified:
        raise caller.refusal


def authorize(caller: Caller, action: Action, user_id: str) -> None:
    require_identity(caller)
    if not caller.may(action, user_id):
        raise Forbidden(action.verb, user_id, action.scope)


def scopes_of(claims: Mapping[str, Any]) -> frozenset[str]:
    """OAuth's `scope` (RFC 8693: space-separated) and `scp` (Okta, Entra ID: a list, or a
    space-separated string), merged. Anything else in them grants nothing."""
    scopes: set[str] = set()
    for name in ("scope", "scp"):
        value = claims.get(name)
        if isinstance(value, str):
            scopes.update(value.split())
        elif isinstance(value, list):
            scopes.update(item for item in value if isinstance(item, str))
    return frozenset(scopes)
