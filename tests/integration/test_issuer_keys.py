"""The issuer's keys over real HTTP: fetched once and kept, refreshed when a new `kid` appears
(at most once per retry interval, however many forged `kid`s arrive), kept through an outage for
a bounded time, and a JWKS that does not answer is a bounded IssuerUnavailable, never a hang."""

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from gateway.auth.bearer import BearerAuthentication
from gateway.auth.dev_issuer import LocalIssuer, SigningKey
from gateway.auth.keys import JWKS_RETRY_SECONDS, JWKS_STALE_SECONDS
from gateway.settings import Settings
from schema.access import Caller
from schema.errors import IssuerUnavailable, Unauthenticated
from tests.auth import Clock, authentication, silent_jwks, with_issuer
from tests.conftest import closed_port

CACHE_SECONDS = 300


@pytest.fixture
def clock() -> Clock:
    return Clock()


def checking_for(issuer: LocalIssuer, clock: Clock, **overrides: object) -> BearerAuthentication:
    settings = with_issuer(Settings(), issuer, auth_jwks_cache_seconds=CACHE_SECONDS, **overrides)
    return authentication(settings, clock)


def bounded(call: Callable[[], Caller]) -> Caller:
    """Runs `call` in a thread: a call that hangs fails the test instead of hanging it."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result(timeout=60)


def test_keys_are_fetched_once_and_reused(issuer: LocalIssuer, clock: Clock) -> None:
    checking = checking_for(issuer, clock)
    for subject in ("user-1", "user-2", "user-3"):
        assert checking.identify([f"Bearer {issuer.token(subject)}"]).subject == subject
    assert issuer.jwks_served == 1
    clock.advance(CACHE_SECONDS)
    checking.identify([f"Bearer {issuer.token('user-4')}"])
    assert issuer.jwks_served == 2


def test_an_unknown_kid_is_refused_until_the_issuer_publishes_it(
    issuer: LocalIssuer, clock: Clock
) -> None:
    checking = checking_for(issuer, clock)
    old_token = issuer.token("user-42")
    checking.identify([f"Bearer {old_token}"])
    rotated = SigningKey.generate("ES256")
    new_token = issuer.token("user-42", key=rotated)
    with pytest.raises(Unauthenticated, match="not one the issuer publishes"):
        checking.identify([f"Bearer {new_token}"])

    issuer.keys.insert(0, rotated)  # the issuer rotates: the new key signs, the old one stays
    clock.advance(JWKS_RETRY_SECONDS)
    assert checking.identify([f"Bearer {new_token}"]).subject == "user-42"
    assert checking.identify([f"Bearer {old_token}"]).subject == "user-42"

    issuer.keys.pop()  # the old key is retired: its tokens stop working once the cache expires
    clock.advance(CACHE_SECONDS)
    with pytest.raises(Unauthenticated, match="not one the issuer publishes"):
        checking.identify([f"Bearer {old_token}"])
    assert checking.identify([f"Bearer {issuer.token('user-42')}"]).subject == "user-42"


def test_forged_kids_cost_the_issuer_one_fetch_per_retry_interval(
    issuer: LocalIssuer, clock: Clock
) -> None:
    checking = checking_for(issuer, clock)
    checking.identify([f"Bearer {issuer.token('user-42')}"])
    for _ in range(50):
        forged = issuer.token("user-42", key=SigningKey.generate("ES256"))
        with pytest.raises(Unauthenticated):
            checking.identify([f"Bearer {forged}"])
    assert issuer.jwks_served == 1
    clock.advance(JWKS_RETRY_SECONDS)
    with pytest.raises(Unauthenticated):
        checking.identify([f"Bearer {issuer.token('x', key=SigningKey.generate('ES256'))}"])
    assert issuer.jwks_served == 2


def test_a_jwks_that_never_answers_is_a_bounded_issuer_unavailable(
    silent_port: int, clock: Clock, issuer: LocalIssuer
) -> None:
    checking = checking_for(issuer, clock, **silent_jwks(silent_port))
    token = f"Bearer {issuer.token('user-42')}"
    with pytest.raises(IssuerUnavailable):
        bounded(lambda: checking.identify([token]))
    # Within the retry interval the outage is remembered: no second wait on the silent port.
    with pytest.raises(IssuerUnavailable):
        bounded(lambda: checking.identify([token]))


@pytest.mark.parametrize("path", ["/nowhere", "/token"])
def test_a_jwks_url_that_answers_no_keys_is_issuer_unavailable(
    issuer: LocalIssuer, clock: Clock, path: str
) -> None:
    """A 404, or JSON that is not a key set (here the token endpoint's 400), is not a JWKS."""
    checking = checking_for(issuer, clock, auth_jwks_url=issuer.url + path)
    with pytest.raises(IssuerUnavailable):
        checking.identify([f"Bearer {issuer.token('user-42')}"])


def test_a_closed_jwks_port_is_issuer_unavailable(issuer: LocalIssuer, clock: Clock) -> None:
    checking = checking_for(issuer, clock, auth_jwks_url=f"http://127.0.0.1:{closed_port()}/")
    with pytest.raises(IssuerUnavailable):
        checking.identify([f"Bearer {issuer.token('user-42')}"])


def test_known_keys_outlive_an_issuer_outage_for_a_bounded_time(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    with LocalIssuer() as issuer:
        checking = checking_for(issuer, clock)
        token = f"Bearer {issuer.token('user-42', lifetime_seconds=7 * 3600)}"
        checking.identify([token])
    # The issuer is gone. Past the cache's age the last good keys still serve, with a warning...
    clock.advance(CACHE_SECONDS + 1)
    with caplog.at_level(logging.WARNING, logger="gateway.auth.keys"):
        assert checking.identify([token]).subject == "user-42"
    assert "the issuer's JWKS could not be fetched" in caplog.text
    # ...until they are too old to trust.
    clock.advance(JWKS_STALE_SECONDS)
    with pytest.raises(IssuerUnavailable):
        checking.identify([token])


def test_concurrent_requests_on_a_cold_cache_fetch_the_keys_once(
    issuer: LocalIssuer, clock: Clock
) -> None:
    checking = checking_for(issuer, clock)
    tokens = [f"Bearer {issuer.token(f'user-{n}')}" for n in range(20)]
    with ThreadPoolExecutor(max_workers=20) as pool:
        callers = list(pool.map(lambda token: checking.identify([token]), tokens))
    assert [caller.subject for caller in callers] == [f"user-{n}" for n in range(20)]
    assert issuer.jwks_served == 1
