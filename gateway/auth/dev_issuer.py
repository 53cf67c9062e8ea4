"""A token issuer on loopback: the one `make run AUTH=dev` starts, and the tests' issuer.

It makes its signing keys when it is created, serves them as a JWKS over real HTTP (so the API
fetches them exactly as it fetches Cognito's or Auth0's), and signs tokens for whoever asks. That
is why nothing it signs may guard real data, and why EVENTLOG_AUTH=dev runs only with embedded
stores.
"""

import json
import secrets
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

DEV_AUDIENCE = "eventlog"
DEV_TOKEN_SECONDS = 3600
JWKS_PATH = "/.well-known/jwks.json"
TOKEN_PATH = "/token"

Algorithm = Literal["RS256", "ES256"]


@dataclass(frozen=True)
class SigningKey:
    kid: str
    algorithm: Algorithm
    private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

    @classmethod
    def generate(cls, algorithm: Algorithm = "RS256") -> "SigningKey":
        private = (
            rsa.generate_private_key(public_exponent=65537, key_size=2048)
            if algorithm == "RS256"
            else ec.generate_private_key(ec.SECP256R1())
        )
        return cls(secrets.token_hex(8), algorithm, private)

    def public_jwk(self) -> dict[str, Any]:
        public = self.private.public_key()
        jwk = (
            RSAAlgorithm.to_jwk(public, as_dict=True)
            if isinstance(public, rsa.RSAPublicKey)
            else ECAlgorithm.to_jwk(public, as_dict=True)
        )
        return {**jwk, "kid": self.kid, "alg": self.algorithm, "use": "sig"}


class LocalIssuer:
    """`keys` are published in the JWKS; the first one signs. Use it as a context manager."""

    def __init__(self, audience: str = DEV_AUDIENCE, algorithm: Algorithm = "RS256") -> None:
        self.audience = audience
        self.keys: list[SigningKey] = [SigningKey.generate(algorithm)]
        self.jwks_served = 0
        self._server = _IssuerServer(self)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        # Polls for shutdown 20 times a second, so stopping takes no noticeable time.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> "LocalIssuer":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    @property
    def jwks_url(self) -> str:
        return self.url + JWKS_PATH

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.public_jwk() for key in self.keys]}

    def settings(self) -> dict[str, Any]:
        """The EVENTLOG_AUTH_* settings under which the API accepts this issuer's tokens."""
        return {
            "auth": "jwt",
            "auth_issuer": self.url,
            "auth_audience": [self.audience],
            "auth_jwks_url": self.jwks_url,
        }

    def token(
        self,
        subject: str,
        scopes: Iterable[str] = (),
        lifetime_seconds: int = DEV_TOKEN_SECONDS,
        key: SigningKey | None = None,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.url,
            "aud": self.audience,
            "sub": subject,
            "iat": now,
            "exp": now + lifetime_seconds,
        }
        if scope := " ".join(scopes):
            claims["scope"] = scope
        return self.sign(claims, key)

    def sign(
        self,
        claims: Mapping[str, Any],
        key: SigningKey | None = None,
        headers: Mapping[str, Any] | None = None,
    ) -> str:
        key = key or self.keys[0]
        return jwt.encode(
            dict(claims),
            key.private,
            algorithm=key.algorithm,
            headers={"kid": key.kid, **(headers or {})},
        )


class _IssuerServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, issuer: LocalIssuer) -> None:
        super().__init__(("127.0.0.1", 0), _IssuerHandler)
        self.issuer = issuer


class _IssuerHandler(BaseHTTPRequestHandler):
    """GET the JWKS, the OpenID discovery document, or `/token?sub=...&scope=...`."""

    server: _IssuerServer

    def do_GET(self) -> None:
        issuer = self.server.issuer
        url = urlsplit(self.path)
        if url.path == JWKS_PATH:
            issuer.jwks_served += 1
            self._answer(HTTPStatus.OK, issuer.jwks())
        elif url.path == "/.well-known/openid-configuration":
            discovery = {
                "issuer": issuer.url,
                "jwks_uri": issuer.jwks_url,
                "token_endpoint": issuer.url + TOKEN_PATH,
                "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            }
            self._answer(HTTPStatus.OK, discovery)
        elif url.path == TOKEN_PATH:
            self._token(parse_qs(url.query))
        else:
            self._answer(HTTPStatus.NOT_FOUND, {"error": "not_found"})

    def _token(self, query: dict[str, list[str]]) -> None:
        subject = query.get("sub", [""])[0]
        if not subject:
            self._answer(HTTPStatus.BAD_REQUEST, {"error": "invalid_request", "need": "sub"})
            return
        scopes = query.get("scope", [""])[0].split()
        token = self.server.issuer.token(subject, scopes)
        answer = {"access_token": token, "token_type": "Bearer", "expires_in": DEV_TOKEN_SECONDS}
        self._answer(HTTPStatus.OK, answer)

    def _answer(self, status: HTTPStatus, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the API's own log says what matters."""
