"""RFC 6750 over HTTP, for both doors: the token in `Authorization: Bearer`, and the
`WWW-Authenticate` challenge that answers a request without a usable one."""

import re
import time
from collections.abc import Callable, Sequence

from gateway.auth.jwks import jwks_fetcher
from gateway.auth.keys import IssuerKeys
from gateway.auth.tokens import TokenVerifier, invalid
from gateway.settings import Settings
from persistence.telemetry import NO_TELEMETRY, Telemetry
from schema.access import Caller
from schema.errors import EventLogError, Forbidden, Unauthenticated
from schema.limits import MAX_TOKEN_CHARS

REALM = "eventlog"
# RFC 6750's b64token: what a bearer token may be made of.
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


class BearerAuthentication:
    """Identifies callers by the bearer token they send, checked by `verifier`."""

    def __init__(self, verifier: TokenVerifier, description: str) -> None:
        self._verifier = verifier
        self.description = description

    def identify(self, authorization: Sequence[str]) -> Caller:
        """The caller named by the request's Authorization header values: anonymous without a
        bearer token; Unauthenticated or IssuerUnavailable when the token cannot be accepted."""
        token = bearer_token(authorization)
        return Caller() if token is None else self._verifier.caller(token)

    def identifies_without_waiting(self, authorization: Sequence[str]) -> bool:
        """Whether `identify` can answer at once (CPU only: a signature check): no keys to
        fetch from the issuer first."""
        try:
            token = bearer_token(authorization)
        except Unauthenticated:
            return True
        return token is None or self._verifier.checks_without_waiting(token)


def bearer_token(authorization: Sequence[str]) -> str | None:
    """The token of `Authorization: Bearer <token>`, None when the request carries no bearer
    credentials (no header, or another scheme: RFC 6750 then answers without an error code)."""
    if not authorization:
        return None
    if len(authorization) > 1:
        raise invalid("Send one Authorization header.")
    scheme, _, token = authorization[0].strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = token.strip()
    if len(token) > MAX_TOKEN_CHARS:
        raise invalid(f"The token is longer than {MAX_TOKEN_CHARS} characters.")
    if not _B64TOKEN.fullmatch(token):
        raise invalid("The Authorization header is not Bearer followed by a token.")
    return token


def challenge(error: EventLogError) -> dict[str, str]:
    """The WWW-Authenticate header answering an authentication or access error (else none)."""
    if isinstance(error, Unauthenticated):
        parameters = {"realm": REALM}
        if error.error is not None:
            parameters |= {"error": error.error, "error_description": error.description}
    elif isinstance(error, Forbidden):
        parameters = {
            "realm": REALM,
            "error": "insufficient_scope",
            "error_description": "The token may not do this for this user.",
            "scope": error.scope,
        }
    else:
        return {}
    rendered = ", ".join(f'{name}="{value}"' for name, value in parameters.items())
    return {"WWW-Authenticate": f"Bearer {rendered}"}


def authentication_for(
    settings: Settings,
    clock: Callable[[], float] = time.monotonic,
    telemetry: Telemetry = NO_TELEMETRY,
) -> BearerAuthentication | None:
    """How this app identifies callers: None when authentication is off (EVENTLOG_AUTH=none)."""
    if settings.auth == "none":
        return None
    if settings.auth != "jwt" or settings.auth_issuer is None or settings.auth_jwks_url is None:
        # `dev` becomes `jwt` once `python -m gateway` has started its issuer; never run open.
        raise ValueError("EVENTLOG_AUTH=dev is served by `python -m gateway` (make run AUTH=dev)")
    timeout = settings.auth_jwks_timeout_seconds
    keys = IssuerKeys(
        jwks_fetcher(settings.auth_jwks_url, timeout, telemetry),
        max_age_seconds=settings.auth_jwks_cache_seconds,
        wait_seconds=timeout,
        clock=clock,
    )
    verifier = TokenVerifier(
        issuer=settings.auth_issuer, audiences=settings.auth_audience, keys=keys
    )
    audiences = ", ".join(settings.auth_audience)
    return BearerAuthentication(
        verifier, f"bearer tokens from {settings.auth_issuer} for {audiences}"
    )
