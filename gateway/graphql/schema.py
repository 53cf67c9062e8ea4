"""Query and Mutation: thin calls into the resolver layer, shaped as GraphQL types."""

from typing import Annotated

import strawberry
from fastapi.concurrency import run_in_threadpool
from graphql import GraphQLError
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext, Info

from gateway.graphql.context import GraphQLContext
from gateway.graphql.errors import ErrorCodes
from gateway.graphql.scalars import SCALARS, DateTime
from gateway.graphql.types import (
    Event,
    EventConnection,
    EventEdge,
    PageInfo,
    RecordEventInput,
    RecordEventPayload,
    RecordOutcome,
)
from schema.access import require_identity
from schema.events import parse_listing
from schema.limits import DEFAULT_PAGE_LIMIT

# No depth limiter: the types are acyclic, so no query nests deeper than 4 levels
# (events > edges > node > field); a test keeps it so. Strawberry's QueryDepthLimiter skips
# introspection, so here it could never fire. Size is bounded by aliases and tokens.
MAX_ALIASES = 10
MAX_TOKENS = 2000

ContextInfo = Info[GraphQLContext, None]


@strawberry.type
class Query:
    @strawberry.field(description="A page of the user's events, newest first; cursors as REST's.")
    async def events(
        self,
        info: ContextInfo,
        user_id: str,
        first: int | None = DEFAULT_PAGE_LIMIT,
        after: str | None = None,
        event_type: str | None = None,
        start: Annotated[DateTime | None, strawberry.argument(name="from")] = None,
        end: Annotated[DateTime | None, strawberry.argument(name="to")] = None,
    ) -> EventConnection:
        # Who asks comes first, as in every operation: a stranger learns nothing about the rules.
        require_identity(info.context.caller)
        resolver = info.context.resolver
        query = parse_listing(
            user_id,
            {"limit": first, "cursor": after, "eventType": event_type, "from": start, "to": end},
        )
        records = await run_in_threadpool(
            resolver.list_records, user_id, query, caller=info.context.caller
        )
        edges = [
            EventEdge(
                cursor=resolver.cursor_for(user_id, query, record), node=Event.from_record(record)
            )
            for record in records[: query.limit]
        ]
        page_info = PageInfo(
            has_next_page=len(records) > query.limit,
            has_previous_page=False,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        )
        return EventConnection(edges=edges, page_info=page_info)

    @strawberry.field(
        description="One of the user's events, or null; FORBIDDEN for a user the token may "
        "not read, whether or not the event exists."
    )
    async def event(self, info: ContextInfo, user_id: str, event_id: strawberry.ID) -> Event | None:
        record = await run_in_threadpool(
            info.context.resolver.find_record, user_id, event_id, caller=info.context.caller
        )
        return None if record is None else Event.from_record(record)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Record an event; the same rules and idempotency as REST.")
    async def record_event(self, info: ContextInfo, input: RecordEventInput) -> RecordEventPayload:
        outcome = await run_in_threadpool(
            info.context.resolver.record_event, input.as_body(), caller=info.context.caller
        )
        return RecordEventPayload(
            outcome=RecordOutcome.CREATED if outcome.created else RecordOutcome.REPLAYED,
            event=Event.from_event(outcome.event),
        )


class EventLogSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Expected errors are answers, not incidents: ErrorCodes logs the unexpected ones."""


def build_schema() -> strawberry.Schema:
    return EventLogSchema(
        query=Query,
        mutation=Mutation,
        config=StrawberryConfig(scalar_map=SCALARS),
        # Factories, not instances: each operation gets extensions of its own.
        extensions=[
            lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            ErrorCodes,
        ],
    )
