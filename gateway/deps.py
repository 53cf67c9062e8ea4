"""Dependencies the routes declare: the resolver of this app's stores (opened in its lifespan,
given by the caller, or opened on demand, in which case asking may raise StoreUnavailable)."""

from typing import Annotated

from fastapi import Depends, Request

from gateway.resolvers import EventResolver


def get_resolver(request: Request) -> EventResolver:
    resolver: EventResolver = request.app.state.resolver_source()
    return resolver


ResolverDep = Annotated[EventResolver, Depends(get_resolver)]
