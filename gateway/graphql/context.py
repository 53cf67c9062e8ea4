"""Per-request GraphQL context: the resolver layer, the caller, and a details DataLoader.

The loader is made for each request (never at module level): it caches what it loaded, and a
shared one would serve one request's data to another.

The caller is identified as REST identifies it. A request without a token is executed: its
operations answer UNAUTHENTICATED as field errors (the schema decides, as GraphQL over HTTP asks),
and introspection stays open. A token that cannot be accepted refuses the whole request, whatever
it asks, with 401 (or 503 when the issuer's keys cannot be fetched): see `refusal.RequestRefused`.
"""

import logging
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from gateway.deps import identify_caller
from gateway.graphql.refusal import RequestRefused
from gateway.resolvers import EventResolver
from schema.access import Caller
from schema.errors import IssuerUnavailable, Unauthenticated

logger = logging.getLogger(__name__)


class DetailsMissing(Exception):
    """A metadata row without a details item: outside damage, never made by our writes."""


class GraphQLContext(BaseContext):
    def __init__(self, resolver_source: Callable[[], EventResolver], caller: Caller) -> None:
        super().__init__()
        self._resolver_source = resolver_source
        self.caller = caller
        self.details_loader: DataLoader[str, dict[str, Any]] = DataLoader(
            load_fn=self._load_details
        )

    @property
    def resolver(self) -> EventResolver:
        """Asked for by the fields that need it: stores that cannot be opened (on Lambda, they
        are opened on demand) fail those fields with SERVICE_UNAVAILABLE, as any store failure
        does, instead of failing the request outside GraphQL."""
        return self._resolver_source()

    async def _load_details(self, event_ids: list[str]) -> list[dict[str, Any] | BaseException]:
        found = await run_in_threadpool(self.resolver.details_for, event_ids)
        # `{}` (an event recorded without details) is found too: test membership, not truth.
        missing = [event_id for event_id in event_ids if event_id not in found]
        for event_id in missing:
            logger.error("event %s has no details item; not shown", event_id)
        return [found.get(event_id, DetailsMissing(event_id)) for event_id in event_ids]


async def get_context(request: Request) -> GraphQLContext:
    try:
        caller = await identify_caller(request)
    except (Unauthenticated, IssuerUnavailable) as refusal:
        retry_after = request.app.state.settings.retry_after_seconds
        raise RequestRefused.caller_not_accepted(refusal, retry_after) from refusal
    return GraphQLContext(request.app.state.resolver_source, caller)
