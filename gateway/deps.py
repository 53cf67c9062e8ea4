"""Dependencies the routes declare: the resolver of this app's stores (opened in its lifespan,
given by the caller, or opened on demand, in which case asking may raise StoreUnavailable), and
the caller."""

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gateway.auth.bearer import BearerAuthentication
from gateway.resolvers import EventResolver
from schema.access import Caller, require_identity

# Documents the scheme in OpenAPI, so Swagger UI's Authorize button sends the token; the header is
# read by `identify_caller`, the same for REST and GraphQL.
BEARER_SCHEME = HTTPBearer(
    bearerFormat="JWT",
    scheme_name="bearerAuth",
    description="An access token from the API's OpenID Connect issuer.",
    auto_error=False,
)


def get_resolver(request: Request) -> EventResolver:
    resolver: EventResolver = request.app.state.resolver_source()
    return resolver


async def identify_caller(request: Request) -> Caller:
    """Who sends this request. Checking a token may fetch the issuer's keys (blocking, bounded),
    so it runs in the thread pool; with authentication off there is nothing to check."""
    authentication: BearerAuthentication | None = request.app.state.authentication
    if authentication is None:
        return Caller.anyone()
    values = request.headers.getlist("authorization")
    return await run_in_threadpool(authentication.identify, values)


async def get_caller(
    request: Request,
    _documented: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER_SCHEME)],
) -> Caller:
    """Every REST route that asks for a caller is an operation: no identity, no entry (401 comes
    before any complaint about the request itself)."""
    caller = await identify_caller(request)
    require_identity(caller)
    return caller


ResolverDep = Annotated[EventResolver, Depends(get_resolver)]
CallerDep = Annotated[Caller, Depends(get_caller)]
