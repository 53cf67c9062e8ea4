"""The issuer's JWKS: fetched over HTTP within one total bound, and read into the keys we can use.

The fetch ends by its budget: the JWKS timeout, or less when the request's deadline
(`persistence.deadline`) is nearer. PyJWT's PyJWKClient (urllib) and urllib3, even with
`Timeout(total=...)`, bound each socket operation, not the fetch: a JWKS that answers at once and
then sends its body a byte at a time, each byte within the timeout, holds the request as long as
it likes (urllib3 with `Timeout(total=2)` read a 1,000-byte body sent a byte every 0.3 s for
301 s). So the fetch runs in a thread of its own, with http.client; the caller waits for it at
most the budget, then shuts its socket down, which ends whatever it was reading. A thread is the
one bound that covers every step alike: name resolution, connecting, TLS, the status line and
headers, the body.

A JWKS may hold keys we cannot use (another algorithm, a key type PyJWT does not know, a member
missing, an entry that is no key at all): each is skipped, logged once without its key material,
and the others serve. A JWKS with no usable key is the issuer's failure, like no answer.
"""

import hashlib
import http.client
import json
import logging
import socket
import ssl
import threading
from collections.abc import Callable, Sequence
from contextlib import suppress
from typing import Any
from urllib.parse import urlsplit

from jwt import PyJWK, PyJWTError

from persistence.deadline import DeadlineExceeded, budget
from persistence.metric_catalogue import STORE_FAILURES
from persistence.telemetry import NO_TELEMETRY, Telemetry

logger = logging.getLogger(__name__)

# What a token may be signed with (tokens.py), and so the only keys worth keeping.
ALGORITHMS = ("RS256", "ES256")
_KEY_TYPES = ("RSA", "EC")
# A JWKS is a few KB (Cognito's two keys: 1 KB); a body over this is no JWKS.
MAX_JWKS_BYTES = 256 * 1024
# Unusable keys already reported, remembered up to this many.
_REPORTED_AT_MOST = 1024


class JwksUnreachable(Exception):
    """The JWKS could not be fetched within its budget, or holds no key we can use."""


def jwks_fetcher(
    url: str, timeout_seconds: float, telemetry: Telemetry = NO_TELEMETRY
) -> Callable[[], Sequence[PyJWK]]:
    """`fetch()`: the usable signing keys of the JWKS at `url`, fetched within
    `timeout_seconds` and the request's deadline; JwksUnreachable otherwise. Each fetch is a
    call of the `auth` store to `telemetry`."""
    reported: set[str] = set()

    def fetch() -> Sequence[PyJWK]:
        try:
            seconds = budget(timeout_seconds)
        except DeadlineExceeded as exc:
            telemetry.add(STORE_FAILURES, 1, "auth", "timeout")
            raise JwksUnreachable("the request's deadline has passed") from exc
        try:
            with telemetry.store_call("auth", "JWKS"):
                body = get_within(url, seconds, MAX_JWKS_BYTES)
                try:
                    document = json.loads(body)
                except (ValueError, RecursionError) as exc:
                    raise JwksUnreachable("the answer is not JSON") from exc
                return usable_keys(document, reported)
        except JwksUnreachable:
            telemetry.add(STORE_FAILURES, 1, "auth", "error")
            raise

    return fetch


def usable_keys(document: Any, reported: set[str]) -> list[PyJWK]:
    """The signing keys of a JWKS we can verify tokens with; the others are logged, once each
    (by `reported`, the fingerprints of those already logged)."""
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise JwksUnreachable("the answer is not a JWK set (no `keys` list)")
    keys: list[PyJWK] = []
    for index, entry in enumerate(entries):
        key = _usable_key(entry)
        if isinstance(key, PyJWK):
            keys.append(key)
        else:
            _report_once(index, entry, key, reported)
    if not keys:
        raise JwksUnreachable("the JWK set holds no usable signing key")
    return keys


def _usable_key(entry: Any) -> PyJWK | str:
    """The key, or why it cannot be used. PyJWT is given only RSA and EC keys for RS256 and
    ES256: on other shapes (an `alg` that is `none` or a list, an `oct` key without `k`) it
    raises what no caller expects (NotImplementedError, TypeError, KeyError)."""
    if not isinstance(entry, dict):
        return "not a JSON object"
    kid = entry.get("kid")
    if not isinstance(kid, str) or not kid:
        return "no kid"
    if entry.get("use", "sig") != "sig":
        return "not a signing key (its use is not sig)"
    if entry.get("kty") not in _KEY_TYPES:
        return "not an RSA or EC key (kty)"
    if entry.get("alg", ALGORITHMS[0]) not in ALGORITHMS:
        return "not an RS256 or ES256 key (alg)"
    try:
        key = PyJWK(entry)
    except PyJWTError as exc:
        return f"PyJWT cannot read it ({type(exc).__name__})"
    if key.algorithm_name not in ALGORITHMS:
        return "not an RS256 or ES256 key (its curve)"
    return key


def _report_once(index: int, entry: Any, reason: str, reported: set[str]) -> None:
    fingerprint = hashlib.sha256(
        json.dumps(entry, sort_keys=True, default=repr).encode() + reason.encode()
    ).hexdigest()
    if fingerprint in reported:
        return
    if len(reported) >= _REPORTED_AT_MOST:
        reported.clear()
    reported.add(fingerprint)
    kid = entry.get("kid") if isinstance(entry, dict) else None
    named = repr(kid[:64]) if isinstance(kid, str) and kid else "none"
    logger.warning("the issuer's JWKS key #%d (kid %s) is skipped: %s", index, named, reason)


def get_within(url: str, seconds: float, max_bytes: int) -> bytes:
    """The body of a 200 answer to GET `url`, whole within `seconds`, at most `max_bytes`."""
    transfer = _Transfer(url, seconds, max_bytes)
    worker = threading.Thread(target=transfer.run, name="jwks-fetch", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        transfer.abandon()
        raise JwksUnreachable(f"no whole answer within {seconds:.3g} s")
    return transfer.result()


class _Transfer:
    """One GET, run by a thread the caller may abandon: then its socket is shut down."""

    def __init__(self, url: str, seconds: float, max_bytes: int) -> None:
        self._url = urlsplit(url)
        self._seconds = seconds
        self._max_bytes = max_bytes
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._abandoned = False
        self._body: bytes | None = None
        self._error: Exception | None = None

    def run(self) -> None:
        try:
            self._body = self._get()
        except Exception as exc:  # handed to the caller, who reports it
            self._error = exc

    def result(self) -> bytes:
        if self._body is not None:
            return self._body
        if isinstance(self._error, JwksUnreachable):
            raise self._error
        raise JwksUnreachable(f"the fetch failed ({type(self._error).__name__})")

    def abandon(self) -> None:
        with self._lock:
            self._abandoned = True
            if self._socket is not None:
                _shut_down(self._socket)

    def _get(self) -> bytes:
        connection = self._connection()
        try:
            target = self._url.path or "/"
            if self._url.query:
                target += "?" + self._url.query
            connection.request("GET", target, headers={"Accept": "application/json"})
            response = connection.getresponse()
            if response.status != 200:
                raise JwksUnreachable(f"the answer is HTTP {response.status}")
            body = response.read(self._max_bytes + 1)
            if len(body) > self._max_bytes:
                raise JwksUnreachable(f"the answer is over {self._max_bytes} bytes")
            return body
        finally:
            connection.close()

    def _connection(self) -> http.client.HTTPConnection:
        """A connection over a socket this transfer can shut down (http.client would make its
        own and keep it to itself), TLS included for https."""
        host, secure = self._url.hostname or "", self._url.scheme == "https"
        port = self._url.port or (443 if secure else 80)
        plain = socket.create_connection((host, port), timeout=self._seconds)
        self._hold(plain)
        connection: http.client.HTTPConnection
        if secure:
            context = ssl.create_default_context()
            wrapped = context.wrap_socket(
                plain, server_hostname=host, do_handshake_on_connect=False
            )
            self._hold(wrapped)
            wrapped.do_handshake()
            connection = http.client.HTTPSConnection(host, port, context=context)
            connection.sock = wrapped
        else:
            connection = http.client.HTTPConnection(host, port)
            connection.sock = plain
        return connection

    def _hold(self, held: socket.socket) -> None:
        with self._lock:
            self._socket = held
            if self._abandoned:
                _shut_down(held)


def _shut_down(held: socket.socket) -> None:
    """Ends any read or write on `held` at once, from another thread. socket.socket's own
    shutdown, also for a TLS socket: SSLSocket's would drop its TLS state under the reader."""
    with suppress(OSError):  # already closed
        socket.socket.shutdown(held, socket.SHUT_RDWR)
