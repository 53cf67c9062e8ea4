"""Who may do what: a token's subject acts on its own events, a scope on everyone's; the rule
holds whatever shape the scopes come in, and a refused caller never reaches a store."""

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from resolvers import EventResolver
from schema.access import Action, Caller, authorize, scopes_of
from schema.errors import EventLogError, Forbidden, InvalidInput, Unauthenticated
from schema.events import EventListQuery
from schema.limits import Limits
from tests.factories import make_event
from tests.unit.fakes import FakeDetailStore, FakeMetadataStore

# The access table of docs/rest.md: (scopes granted, action, own events?) -> allowed.
ACCESS_TABLE = {
    (frozenset(), Action.RECORD, True): True,
    (frozenset(), Action.RECORD, False): False,
    (frozenset(), Action.READ, True): True,
    (frozenset(), Action.READ, False): False,
    (frozenset({"events:write"}), Action.RECORD, False): True,
    (frozenset({"events:write"}), Action.READ, False): False,
    (frozenset({"events:read"}), Action.READ, False): True,
    (frozenset({"events:read"}), Action.RECORD, False): False,
}


@pytest.mark.parametrize(("row", "allowed"), ACCESS_TABLE.items())
def test_the_access_table(row: tuple[frozenset[str], Action, bool], allowed: bool) -> None:
    scopes, action, own = row
    caller = Caller(subject="user-42", scopes=scopes)
    assert caller.may(action, "user-42" if own else "user-7") is allowed


GRANTING = ["events:read", "events:write"]
# Near misses grant nothing: scopes are compared exactly, case included.
NOISE = ["events:reads", "EVENTS:READ", "events", "read", "events:write:all", "openid", ""]


def render(scopes: list[str], shape: str) -> dict[str, Any]:
    """The same scopes as issuers spell them."""
    if shape == "scope":
        return {"scope": " ".join(scopes)}
    if shape == "scp-list":
        return {"scp": scopes}
    if shape == "scp-string":
        return {"scp": " ".join(scopes)}
    half = len(scopes) // 2
    return {"scope": " ".join(scopes[:half]), "scp": scopes[half:]}


@given(
    granted=st.sets(st.sampled_from(GRANTING)),
    noise=st.lists(st.sampled_from(NOISE), max_size=4),
    shape=st.sampled_from(["scope", "scp-list", "scp-string", "both"]),
    subject=st.sampled_from(["user-1", "user-2", "User-1"]),
    target=st.sampled_from(["user-1", "user-2"]),
    action=st.sampled_from(list(Action)),
    order=st.randoms(),
)
def test_any_token_is_allowed_exactly_what_the_table_says(
    granted: set[str],
    noise: list[str],
    shape: str,
    subject: str,
    target: str,
    action: Action,
    order: Any,
) -> None:
    scopes = [*granted, *noise]
    order.shuffle(scopes)
    caller = Caller.from_claims({"sub": subject, **render(scopes, shape)})
    allowed = subject == target or action.scope in granted
    if allowed:
        authorize(caller, action, target)
    else:
        with pytest.raises(Forbidden) as refused:
            authorize(caller, action, target)
        assert refused.value.scope == action.scope


@pytest.mark.parametrize(
    "claims",
    [{"scope": 42}, {"scp": {"events:read": True}}, {"scp": [1, None]}, {"scope": None}],
)
def test_scopes_of_another_type_grant_nothing(claims: dict[str, Any]) -> None:
    assert scopes_of(claims) == frozenset()


def test_an_anonymous_caller_is_refused_with_its_reason_and_open_access_allows_all() -> None:
    expired = Unauthenticated("The token has expired.", error="invalid_token")
    with pytest.raises(Unauthenticated) as refused:
        authorize(Caller(refusal=expired), Action.READ, "user-42")
    assert refused.value is expired
    authorize(Caller.anyone(), Action.RECORD, "anyone-at-all")


class World:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.resolver = EventResolver(
            FakeMetadataStore(self.calls),
            FakeDetailStore(self.calls),
            limits=Limits(),
            cursor_secret=b"k" * 32,
        )


OWN = Caller(subject="user-42")


@pytest.mark.parametrize(
    ("operation", "refused"),
    [
        (lambda r, c: r.record_event(make_event(userId="user-7"), caller=c), Forbidden),
        (lambda r, c: r.list_events("user-7", EventListQuery(), caller=c), Forbidden),
        (
            lambda r, c: r.find_record("user-7", "3f2b8a4e-5c1d-4e8f-9a7b-1c2d3e4f5a6b", caller=c),
            Forbidden,
        ),
    ],
)
def test_a_refused_caller_reaches_no_store(operation: Any, refused: type[EventLogError]) -> None:
    world = World()
    with pytest.raises(refused):
        operation(world.resolver, OWN)
    assert world.calls == []


def test_a_stranger_learns_nothing_about_the_rules() -> None:
    """No identity, no validation: 401 comes before 422, in every operation."""
    world = World()
    stranger = Caller()
    with pytest.raises(Unauthenticated):
        world.resolver.record_event({"userId": "no spaces"}, caller=stranger)
    with pytest.raises(Unauthenticated):
        world.resolver.find_record("no spaces", "x", caller=stranger)
    with pytest.raises(Unauthenticated):
        world.resolver.page_of_events(
            "no spaces", EventListQuery(), caller=stranger, with_details=False
        )
    assert world.calls == []


def test_the_rules_still_apply_to_an_allowed_caller() -> None:
    with pytest.raises(InvalidInput):
        World().resolver.record_event({"userId": "user-42"}, caller=OWN)
