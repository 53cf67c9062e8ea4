"""Authentication for tests: a real issuer on 127.0.0.1 (keys the tests generate, its JWKS over
HTTP), a clock tests move instead of sleeping, and the pieces the API builds from them."""

import json
import time
from typing import Any

import jwt

from gateway.auth.bearer import BearerAuthentication, authentication_for
from gateway.auth.dev_issuer import LocalIssuer
from gateway.settings import Settings


class Clock:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def with_issuer(settings: Settings, issuer: LocalIssuer, **overrides: Any) -> Settings:
    """`settings` accepting `issuer`'s tokens, validated as the server would validate them."""
    fields = settings.model_dump() | issuer.settings() | overrides
    return Settings(**fields)


def authentication(settings: Settings, clock: Clock) -> BearerAuthentication:
    checking = authentication_for(settings, clock)
    assert checking is not None
    return checking


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def claims(issuer: LocalIssuer, subject: str = "user-42", **overrides: Any) -> dict[str, Any]:
    """Valid claims for `issuer`; an override of None removes the claim."""
    now = int(time.time())
    base = {"iss": issuer.url, "aud": issuer.audience, "sub": subject, "iat": now, "exp": now + 600}
    return {key: value for key, value in (base | overrides).items() if value is not None}


def silent_jwks(port: int) -> dict[str, Any]:
    """Settings pointing at a JWKS that accepts connections and never answers (half a second)."""
    return {
        "auth_jwks_url": f"http://127.0.0.1:{port}/.well-known/jwks.json",
        "auth_jwks_timeout_seconds": 0.5,
    }


def sign_any(issuer: LocalIssuer, claims: dict[str, Any]) -> str:
    """`claims` as they are, signed by the issuer's key: PyJWT's own encoder refuses some shapes
    (a non-string `iss`) that a hostile or broken issuer could still send."""
    key = issuer.keys[0]
    payload = json.dumps(claims).encode()
    return jwt.PyJWS().encode(
        payload, key.private, algorithm=key.algorithm, headers={"kid": key.kid}
    )
