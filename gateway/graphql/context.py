"""Per-request GraphQL context: the resolver layer and a details DataLoader of its own.

The loader is made for each request (never at module level): it caches what it loaded, and a
shared one would serve one request's data to another.
"""

import logging
from typing import Any

from fastapi.concurrency import run_in_threadpool
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from gateway.deps import ResolverDep
from gateway.resolvers import EventResolver

logger = logging.getLogger(__name__)


class DetailsMissing(Exception):
    """A metadata row without a details item: outside damage, never made by our writes."""


class GraphQLContext(BaseContext):
    def __init__(self, resolver: EventResolver) -> None:
        super().__init__()
        self.resolver = resolver
        self.details_loader: DataLoader[str, dict[str, Any]] = DataLoader(
            load_fn=self._load_details
        )

    async def _load_details(self, event_ids: list[str]) -> list[dict[str, Any] | BaseException]:
        found = await run_in_threadpool(self.resolver.details_for, event_ids)
        # `{}` (an event recorded without details) is found too: test membership, not truth.
        missing = [event_id for event_id in event_ids if event_id not in found]
        for event_id in missing:
            logger.error("event %s has no details item; not shown", event_id)
        return [found.get(event_id, DetailsMissing(event_id)) for event_id in event_ids]


async def get_context(resolver: ResolverDep) -> GraphQLContext:
    return GraphQLContext(resolver)
