"""A JWT access token checked as API Gateway's JWT authorizer checks it, by PyJWT.

The signature must be RS256 or ES256 by a key the issuer publishes under the token's `kid`, and
the key's own algorithm must be the one the token names (so `alg: none`, HS256 made with a public
key as the secret, or an RSA key passed off as EC never verify). Then: `iss` exactly the issuer,
`exp` and `nbf` (and `iat`) within a minute of our clock, `sub` present, and `aud` naming one of
our audiences, or `client_id` when there is no `aud` (Cognito's access tokens carry no `aud`).
"""

from collections.abc import Sequence
from typing import Any

import jwt

from gateway.auth.jwks import ALGORITHMS
from gateway.auth.keys import IssuerKeys
from schema.access import Caller
from schema.errors import Unauthenticated

CLOCK_SKEW_SECONDS = 60

# What a client is told, by failure. The texts are fixed (never the token's own content): they
# travel in the WWW-Authenticate header too, which allows no quotes or backslashes.
_CLAIM_FAILURES: dict[type[jwt.PyJWTError], str] = {
    jwt.ExpiredSignatureError: "The token has expired.",
    jwt.ImmatureSignatureError: "The token is not valid yet (nbf or iat is in the future).",
    jwt.InvalidIssuerError: "The token is from another issuer.",
    jwt.InvalidSignatureError: "The token's signature does not verify.",
}


def invalid(description: str) -> Unauthenticated:
    return Unauthenticated(description, error="invalid_token")


class TokenVerifier:
    def __init__(self, *, issuer: str, audiences: Sequence[str], keys: IssuerKeys) -> None:
        self._issuer = issuer
        self._audiences = frozenset(audiences)
        self._keys = keys

    def caller(self, token: str) -> Caller:
        """The caller a token names; Unauthenticated (invalid_token) when any check fails."""
        key = self._signing_key(token)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[key.algorithm_name],
                issuer=self._issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iss", "sub"], "verify_aud": False},
            )
        except jwt.MissingRequiredClaimError as exc:
            raise invalid(f"The token has no {exc.claim} claim.") from exc
        except jwt.PyJWTError as exc:
            text = next(
                (text for kind, text in _CLAIM_FAILURES.items() if isinstance(exc, kind)),
                "The token's claims are malformed.",
            )
            raise invalid(text) from exc
        if not self._for_us(claims):
            raise invalid("The token is for another audience.")
        if not claims["sub"]:
            raise invalid("The token's sub claim is empty.")
        return Caller.from_claims(claims)

    def checks_without_waiting(self, token: str) -> bool:
        """Whether checking `token` needs no fetch of the issuer's keys: its key is kept, or the
        token fails before any key is looked up."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError:
            return True
        return not isinstance(kid, str) or self._keys.cached(kid)

    def _signing_key(self, token: str) -> jwt.PyJWK:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise invalid("The token is not a JWT.") from exc
        algorithm, kid = header.get("alg"), header.get("kid")
        if algorithm not in ALGORITHMS:
            raise invalid("The token must be signed with RS256 or ES256.")
        if not isinstance(kid, str):
            raise invalid("The token names no signing key (kid).")
        key = self._keys.signing_key(kid)
        if key is None:
            raise invalid("The token's signing key (kid) is not one the issuer publishes.")
        if key.algorithm_name != algorithm:
            raise invalid("The token's alg is not its signing key's algorithm.")
        return key

    def _for_us(self, claims: dict[str, Any]) -> bool:
        if "aud" in claims:
            audience = claims["aud"]
            named = [audience] if isinstance(audience, str) else audience
            return isinstance(named, list) and any(
                isinstance(item, str) and item in self._audiences for item in named
            )
        return claims.get("client_id") in self._audiences
