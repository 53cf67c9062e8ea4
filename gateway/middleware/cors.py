"""Cross-origin access for browser pages: Starlette's CORS middleware, configured here once.

template.yaml's `CorsConfiguration` says the same for API Gateway, which answers preflights
itself on Lambda; a test compares the two.
"""

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

CORS_ALLOW_METHODS = ("GET", "POST", "DELETE")
# Content-Type: application/json, a bearer token and a request id all make a request preflighted.
CORS_ALLOW_HEADERS = ("Authorization", "Content-Type", "X-Request-ID")
# Readable by scripts: where a new event is, which request to quote, when to retry, and why a
# token was refused (RFC 6750's challenge: API Gateway's own 401 has no problem body, and only
# the challenge of a 403 names the scope that is missing).
CORS_EXPOSE_HEADERS = ("Location", "X-Request-ID", "Retry-After", "WWW-Authenticate")
# A browser reuses a preflight answer this long (Chromium caps it at 2 hours, Firefox at 24).
CORS_MAX_AGE_SECONDS = 600


def install_cors(app: FastAPI, origins: list[str]) -> None:
    """No origins, no middleware: a page elsewhere cannot call the API at all. Tokens travel in
    the Authorization header, never in cookies, so credentials mode stays off (and `*` is safe
    to allow)."""
    if not origins:
        return
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=CORS_ALLOW_METHODS,
        allow_headers=CORS_ALLOW_HEADERS,
        expose_headers=CORS_EXPOSE_HEADERS,
        max_age=CORS_MAX_AGE_SECONDS,
    )
