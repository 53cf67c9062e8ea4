"""The issuer's signing keys (its JWKS), kept between requests.

`jwks` fetches them (within a total bound) and reads out the usable ones. The cache is ours,
because PyJWKClient's own cannot:
- serve the last good keys while the issuer is down (once its cache expires, a failed fetch fails
  every request);
- remember a failed fetch: without that, each request during an outage waits a full timeout, one
  after the other behind its lock, and a JWKS that does not answer turns into hung requests;
- take a clock, so tests move time instead of sleeping.
A token naming an unknown `kid` (a key the issuer just rotated in) triggers a fetch, but at most
one per `retry_seconds`, so forged `kid`s cannot make us hammer the issuer. Waiting for another
request's fetch ends by the request's deadline too.
"""

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from jwt import PyJWK

from gateway.auth.jwks import JwksUnreachable
from persistence.deadline import DeadlineExceeded, budget
from schema.errors import IssuerUnavailable

logger = logging.getLogger(__name__)

# After a fetch (good or failed), the next one waits at least this long.
JWKS_RETRY_SECONDS = 10.0
# How long past their expiry the last good keys still serve while the issuer does not answer.
JWKS_STALE_SECONDS = 3600.0


@dataclass(frozen=True)
class _KeySet:
    keys: dict[str, PyJWK]
    fetched_at: float


class IssuerKeys:
    def __init__(
        self,
        fetch: Callable[[], Sequence[PyJWK]],
        *,
        max_age_seconds: float,
        wait_seconds: float,
        retry_seconds: float = JWKS_RETRY_SECONDS,
        stale_seconds: float = JWKS_STALE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._max_age = max_age_seconds
        self._wait = wait_seconds
        self._retry = retry_seconds
        self._stale = stale_seconds
        self._clock = clock
        self._known: _KeySet | None = None
        self._next_fetch = float("-inf")
        self._fetching = threading.Lock()

    def signing_key(self, kid: str) -> PyJWK | None:
        """The issuer's key named `kid`, or None when it publishes none by that name.
        Raises IssuerUnavailable when no keys can be had within the bounds."""
        known = self._known
        if known is not None and kid in known.keys and self._fresh(known):
            return known.keys[kid]
        return self._refreshed(kid).keys.get(kid)

    def cached(self, kid: str) -> bool:
        """Whether `signing_key(kid)` would answer from what is kept, with no fetch to wait for."""
        known = self._known
        return known is not None and kid in known.keys and self._fresh(known)

    def _fresh(self, known: _KeySet) -> bool:
        return self._clock() - known.fetched_at < self._max_age

    def _refreshed(self, kid: str) -> _KeySet:
        # One fetch at a time; the others wait for it (bounded), then use what it brought.
        try:
            wait = budget(self._wait)
        except DeadlineExceeded:
            return self._fallback()
        if not self._fetching.acquire(timeout=wait):
            return self._fallback()
        try:
            known = self._known
            if known is not None and kid in known.keys and self._fresh(known):
                return known
            now = self._clock()
            if now < self._next_fetch:
                return self._fallback()
            self._next_fetch = now + self._retry
            try:
                keys = self._fetch()
            except JwksUnreachable as exc:
                logger.warning("the issuer's JWKS could not be fetched: %s", exc)
                return self._fallback()
            self._known = _KeySet({key.key_id: key for key in keys if key.key_id}, now)
            return self._known
        finally:
            self._fetching.release()

    def _fallback(self) -> _KeySet:
        """The last good keys, unless they are too old to trust: then the issuer is unavailable."""
        known = self._known
        if known is None or self._clock() - known.fetched_at > self._max_age + self._stale:
            raise IssuerUnavailable()
        return known
