"""Dependencies the routes declare: the resolver built for this app in its lifespan."""

from typing import Annotated

from fastapi import Depends, Request

from gateway.resolvers import EventResolver


def get_resolver(request: Request) -> EventResolver:
    resolver: EventResolver = request.app.state.resolver
    return resolver


ResolverDep = Annotated[EventResolver, Depends(get_resolver)]
