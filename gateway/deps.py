"""What an operation needs from its request: the caller, and the resolver of this app's stores.

Plain functions rather than FastAPI dependencies: solving dependencies is a large share of a
small request's cost (docs/performance.md), and the routes call these in the order that
matters (who is calling comes before anything about the request). The OpenAPI description of
the bearer scheme is added by `gateway.rest.problems.install_problem_openapi`.
"""

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from gateway.auth.bearer import BearerAuthentication
from resolvers import EventResolver
from schema.access import Caller, require_identity

BEARER_SCHEME_NAME = "bearerAuth"
BEARER_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": "An access token from the API's OpenID Connect issuer.",
}
# What every operation's OpenAPI entry says of its security (Swagger UI's Authorize uses it).
OPERATION_SECURITY: list[dict[str, list[str]]] = [{BEARER_SCHEME_NAME: []}]


def resolver_of(request: Request) -> EventResolver:
    """This app's resolver. No I/O, but on Lambda opening stores that failed to open at init
    (a container serves one request at a time there): StoreUnavailable when they still fail."""
    resolver: EventResolver = request.app.state.resolver_source()
    return resolver


async def identify_caller(request: Request) -> Caller:
    """Who sends this request. A token whose issuer keys are kept is checked at once (a
    signature check); one that needs the keys fetched (bounded, blocking) is checked in a worker
    thread. With authentication off there is nothing to check."""
    authentication: BearerAuthentication | None = request.app.state.authentication
    if authentication is None:
        return Caller.anyone()
    values = request.headers.getlist("authorization")
    if authentication.identifies_without_waiting(values):
        return authentication.identify(values)
    return await run_in_threadpool(authentication.identify, values)


async def caller_of(request: Request) -> Caller:
    """Every REST operation asks this first: no identity, no entry (401 comes before any
    complaint about the request itself)."""
    caller = await identify_caller(request)
    require_identity(caller)
    return caller
