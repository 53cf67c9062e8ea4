"""The issuer's keys over real HTTP: fetched once and kept, refreshed when a new `kid` appears
(at most once per retry interval, however many forged `kid`s arrive), kept through an outage for
a bounded time, and a JWKS that does not answer is a bounded IssuerUnavailable, never a hang."""

import logging
import ssl
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from gateway.auth.bearer import BearerAuthentication
from gateway.auth.dev_issuer import LocalIssuer, SigningKey
from gateway.auth.jwks import MAX_JWKS_BYTES
from gateway.auth.keys import JWKS_RETRY_SECONDS, JWKS_STALE_SECONDS
from gateway.settings import Settings
from persistence.deadline import deadline_after
from schema.access import Caller
from schema.errors import IssuerUnavailable, Unauthenticated
from tests.auth import (
    Clock,
    StubJwks,
    authentication,
    loopback_certificate,
    silent_jwks,
    with_issuer,
)
from tests.stores import closed_port

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


# What a fetch may take past its bound: a thread's start and end, a busy machine.
SLACK_SECONDS = 1.0
UNUSABLE_KEYS: dict[str, Any] = {
    "alg none": {"kty": "RSA", "kid": "bad", "alg": "none", "n": "AQAB", "e": "AQAB"},
    "unknown kty": {"kty": "XYZ", "kid": "bad", "alg": "RS256"},
    "unknown kty, no alg": {"kty": "XYZ", "kid": "bad"},
    "alg as a list": {"kty": "RSA", "kid": "bad", "alg": ["RS256"], "n": "AQAB", "e": "AQAB"},
    "RSA without n": {"kty": "RSA", "kid": "bad", "alg": "RS256", "e": "AQAB"},
    "EC without y": {"kty": "EC", "kid": "bad", "crv": "P-256", "x": "AQAB"},
    "oct without k": {"kty": "oct", "kid": "bad"},
    "kid as a list": {"kty": "RSA", "kid": ["bad"], "n": "AQAB", "e": "AQAB"},
    "a string": "not a key",
    "a number": 7,
    "null": None,
    "a list": [{"kty": "RSA"}],
}


@pytest.mark.parametrize("unusable", UNUSABLE_KEYS.values(), ids=UNUSABLE_KEYS.keys())
def test_a_key_that_cannot_be_used_is_skipped_and_logged_once_without_its_material(
    issuer: LocalIssuer, clock: Clock, caplog: pytest.LogCaptureFixture, unusable: Any
) -> None:
    with StubJwks({"keys": [unusable, *issuer.jwks()["keys"]]}) as jwks:
        checking = checking_for(issuer, clock, auth_jwks_url=jwks.url)
        token = f"Bearer {issuer.token('user-42')}"
        with caplog.at_level(logging.WARNING, logger="gateway.auth.jwks"):
            assert checking.identify([token]).subject == "user-42"
            clock.advance(CACHE_SECONDS)  # fetched again: the same key is not logged again
            assert checking.identify([token]).subject == "user-42"
        assert jwks.served == 2
    [skipped] = [record.getMessage() for record in caplog.records]
    named = "'bad'" if isinstance(unusable, dict) and unusable.get("kid") == "bad" else "none"
    assert skipped.startswith(f"the issuer's JWKS key #0 (kid {named}) is skipped: ")
    assert "AQAB" not in skipped


def test_an_unusable_key_beside_a_rotation_keeps_the_kept_and_the_new_keys_serving(
    issuer: LocalIssuer, clock: Clock
) -> None:
    with StubJwks(issuer.jwks()) as jwks:
        checking = checking_for(issuer, clock, auth_jwks_url=jwks.url)
        old_token = f"Bearer {issuer.token('user-42')}"
        assert checking.identify([old_token]).subject == "user-42"
        rotated = SigningKey.generate("ES256")
        issuer.keys.insert(0, rotated)
        jwks.document = {"keys": [UNUSABLE_KEYS["alg none"], *issuer.jwks()["keys"]]}
        clock.advance(JWKS_RETRY_SECONDS)
        assert checking.identify([f"Bearer {issuer.token('user-7')}"]).subject == "user-7"
        assert checking.identify([old_token]).subject == "user-42"
        assert jwks.served == 2


def test_a_jwks_with_no_usable_key_is_the_issuers_failure(
    issuer: LocalIssuer, clock: Clock
) -> None:
    """Like a JWKS that does not answer: the kept keys serve (for a while); none kept, 503."""
    with StubJwks({"keys": list(UNUSABLE_KEYS.values())}) as jwks:
        checking = checking_for(issuer, clock, auth_jwks_url=jwks.url)
        token = f"Bearer {issuer.token('user-42')}"
        with pytest.raises(IssuerUnavailable):
            checking.identify([token])
        jwks.document = issuer.jwks()
        clock.advance(JWKS_RETRY_SECONDS)
        assert checking.identify([token]).subject == "user-42"
        jwks.document = {"keys": list(UNUSABLE_KEYS.values())}
        clock.advance(CACHE_SECONDS)
        assert checking.identify([token]).subject == "user-42"
        assert jwks.served == 3


def test_a_jwks_that_trickles_its_body_ends_by_the_jwks_timeout(
    issuer: LocalIssuer, clock: Clock
) -> None:
    """Each byte comes well within the timeout, the whole body in over ten seconds: the fetch
    ends by the timeout, counted for the whole fetch."""
    with StubJwks(issuer.jwks()) as jwks:
        jwks.pause_seconds = 0.01
        checking = checking_for(
            issuer, clock, auth_jwks_url=jwks.url, auth_jwks_timeout_seconds=1.0
        )
        began = time.monotonic()
        with pytest.raises(IssuerUnavailable):
            bounded(lambda: checking.identify([f"Bearer {issuer.token('user-42')}"]))
        took = time.monotonic() - began
    assert took < 1.0 + SLACK_SECONDS, took


def test_a_jwks_fetch_ends_by_the_requests_deadline(issuer: LocalIssuer, clock: Clock) -> None:
    with StubJwks(issuer.jwks()) as jwks:
        jwks.pause_seconds = 0.01
        checking = checking_for(
            issuer, clock, auth_jwks_url=jwks.url, auth_jwks_timeout_seconds=10.0
        )
        began = time.monotonic()
        with deadline_after(0.5), pytest.raises(IssuerUnavailable):
            checking.identify([f"Bearer {issuer.token('user-42')}"])
        took = time.monotonic() - began
        # A request whose deadline has passed waits for no fetch at all.
        clock.advance(JWKS_RETRY_SECONDS)
        with deadline_after(0), pytest.raises(IssuerUnavailable):
            checking.identify([f"Bearer {issuer.token('user-42')}"])
        assert jwks.served == 1
    assert took < 0.5 + SLACK_SECONDS, took


def test_a_jwks_over_the_size_cap_is_issuer_unavailable(issuer: LocalIssuer, clock: Clock) -> None:
    padded = {**issuer.jwks(), "padding": "x" * MAX_JWKS_BYTES}
    with StubJwks(padded) as jwks:
        checking = checking_for(issuer, clock, auth_jwks_url=jwks.url)
        with pytest.raises(IssuerUnavailable):
            checking.identify([f"Bearer {issuer.token('user-42')}"])


@pytest.fixture
def tls_jwks(issuer: LocalIssuer, tmp_path: Path) -> Iterator[tuple[StubJwks, Path]]:
    """The issuer's JWKS over https, with a certificate of its own: trusted once SSL_CERT_FILE
    names it (as the system's CAs are read)."""
    certificate, key = loopback_certificate(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    with StubJwks(issuer.jwks(), tls=context) as jwks:
        yield jwks, certificate


def test_a_jwks_over_https_is_fetched_only_from_a_certificate_that_verifies(
    tls_jwks: tuple[StubJwks, Path],
    issuer: LocalIssuer,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    jwks, certificate = tls_jwks
    checking = checking_for(issuer, clock, auth_jwks_url=jwks.url)
    token = f"Bearer {issuer.token('user-42')}"
    with pytest.raises(IssuerUnavailable):
        checking.identify([token])
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))
    clock.advance(JWKS_RETRY_SECONDS)
    assert checking.identify([token]).subject == "user-42"
    assert jwks.served == 1


def test_a_jwks_that_trickles_over_https_ends_by_the_jwks_timeout(
    tls_jwks: tuple[StubJwks, Path],
    issuer: LocalIssuer,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    jwks, certificate = tls_jwks
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))
    jwks.pause_seconds = 0.01
    checking = checking_for(issuer, clock, auth_jwks_url=jwks.url, auth_jwks_timeout_seconds=1.0)
    began = time.monotonic()
    with pytest.raises(IssuerUnavailable):
        bounded(lambda: checking.identify([f"Bearer {issuer.token('user-42')}"]))
    took = time.monotonic() - began
    assert took < 1.0 + SLACK_SECONDS, took
