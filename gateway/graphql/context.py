"""Per-request GraphQL context: the resolver layer and the caller.

No DataLoader: every operation that answers Events loads their details with them, in the same
store call as the rows (a page's details are one BatchGetItem per 100 events, as REST's), so
there is no field-by-field load to batch. (The loader did batch them, but in a second worker
thread hop per request; GraphQL now runs each operation in one.)

The caller is identified as REST identifies it. A request without a token is executed: its
operations answer UNAUTHENTICATED as field errors (the schema decides, as GraphQL over HTTP asks),
and introspection stays open. A token that cannot be accepted refuses the whole request, whatever
it asks, with 401 (or 503 when the issuer's keys cannot be fetched): see `refusal.RequestRefused`.
"""

from collections.abc import Callable

from fastapi import Request
from strawberry.fastapi import BaseContext

from gateway.deps import identify_caller
from gateway.graphql.refusal import RequestRefused
from resolvers import EventResolver
from schema.access import Caller
from schema.errors import IssuerUnavailable, Unauthenticated


class GraphQLContext(BaseContext):
    def __init__(self, resolver_source: Callable[[], EventResolver], caller: Caller) -> None:
        super().__init__()
        self._resolver_source = resolver_source
        self.caller = caller

    @property
    def resolver(self) -> EventResolver:
        """Asked for by the fields that need it: stores that cannot be opened (on Lambda, they
        are opened on demand) fail those fields with SERVICE_UNAVAILABLE, as any store failure
        does, instead of failing the request outside GraphQL."""
        return self._resolver_source()


async def get_context(request: Request) -> GraphQLContext:
    try:
        caller = await identify_caller(request)
    except (Unauthenticated, IssuerUnavailable) as refusal:
        retry_after = request.app.state.settings.retry_after_seconds
        raise RequestRefused.caller_not_accepted(refusal, retry_after) from refusal
    return GraphQLContext(request.app.state.resolver_source, caller)
