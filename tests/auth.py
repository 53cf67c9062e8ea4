"""Authentication for tests: a real issuer on 127.0.0.1 (keys the tests generate, its JWKS over
HTTP), a JWKS endpoint that serves whatever a test sets at whatever pace, a clock tests move
instead of sleeping, and the pieces the API builds from them."""

import datetime
import ipaddress
import json
import ssl
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

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


class StubJwks:
    """A JWKS endpoint on 127.0.0.1 that serves whatever a test sets: any JSON `document`, at
    any pace (`pause_seconds` before each `chunk_bytes` of the body: a JWKS that trickles).
    Use it as a context manager; `served` counts the answers begun."""

    def __init__(self, document: Any = None, tls: ssl.SSLContext | None = None) -> None:
        self.document: Any = {"keys": []} if document is None else document
        self.pause_seconds = 0.0
        self.chunk_bytes = 1
        self.served = 0
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _StubJwksHandler)
        self._server.daemon_threads = True
        self._server.stub = self  # type: ignore[attr-defined]
        self._scheme = "http"
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
            self._scheme = "https"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{self._scheme}://{host!s}:{port}/.well-known/jwks.json"

    def __enter__(self) -> "StubJwks":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def answer(self, write: Callable[[bytes], object]) -> None:
        self.served += 1
        body = json.dumps(self.document).encode()
        write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        )
        step = self.chunk_bytes if self.pause_seconds else len(body)
        for start in range(0, len(body), step):
            # The stub's own pace (not a test waiting): ends at once when the stub stops.
            if self.pause_seconds and self._stopping.wait(self.pause_seconds):
                return
            write(body[start : start + step])


class _StubJwksHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        # OSError: the client gave up, as a client of a trickling JWKS should.
        with suppress(OSError):
            self.server.stub.answer(self._write)  # type: ignore[attr-defined]

    def _write(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


def loopback_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its own CA), and its key: files in `folder`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "eventlog test issuer")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_file, key_file = folder / "issuer.pem", folder / "issuer.key"
    certificate_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certificate_file, key_file
