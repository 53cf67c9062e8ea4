"""Query and Mutation: thin calls into the resolver layer, shaped as GraphQL types.

Every resolver is sync and calls the stores directly: the whole operation runs in one worker
thread (`router.py`), so a request makes one thread hop, as a REST request does, and
graphql-core executes without an awaitable check on every field. A page's details are loaded
with its rows, in the same call (one BatchGetItem per 100 events), never field by field."""

from collections.abc import Iterable
from typing import Annotated

import strawberry
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    SelectionNode,
    SelectionSetNode,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext, Info

from gateway.graphql.context import GraphQLContext
from gateway.graphql.errors import domain_error
from gateway.graphql.execution import PlainFieldsExecutionContext
from gateway.graphql.extensions import OperationSteps
from gateway.graphql.listing import parse_events_arguments
from gateway.graphql.scalars import SCALARS, DateTime
from gateway.graphql.types import (
    Event,
    EventConnection,
    EventEdge,
    InputProblem,
    PageInfo,
    RecordEventInput,
    RecordEventPayload,
    RecordEventsResult,
    RecordOutcome,
)
from schema.access import require_identity
from schema.limits import DEFAULT_PAGE_LIMIT, MAX_EVENT_TYPES
from schema.outcome import EventResult

ContextInfo = Info[GraphQLContext, None]


@strawberry.type
class Query:
    @strawberry.field(description="A page of the user's events, newest first; cursors as REST's.")
    def events(
        self,
        info: ContextInfo,
        user_id: str,
        first: int | None = DEFAULT_PAGE_LIMIT,
        after: Annotated[
            str | None,
            strawberry.argument(
                description="The page starts after this cursor: the previous page's "
                "`pageInfo.endCursor` (or an edge's `cursor`), with the same userId and filters. "
                "Leave it out for the first page."
            ),
        ] = None,
        event_type: Annotated[
            str | None,
            strawberry.argument(
                description="Only events of this type.",
                deprecation_reason="Use eventTypes, which takes one type or several.",
            ),
        ] = None,
        event_types: Annotated[
            list[str] | None,
            strawberry.argument(
                description=f"Only events of these types (any of them, up to {MAX_EVENT_TYPES}); "
                "not with eventType."
            ),
        ] = None,
        start: Annotated[DateTime | None, strawberry.argument(name="from")] = None,
        end: Annotated[DateTime | None, strawberry.argument(name="to")] = None,
    ) -> EventConnection | None:
        # Nullable, as every root field here: an error nulls this field alone, and the other
        # fields of the operation (and mutations that ran) still answer.
        # Who asks comes first, as in every operation: a stranger learns nothing about the rules.
        require_identity(info.context.caller)
        resolver = info.context.resolver
        asked = _names_asked(info)
        query = parse_events_arguments(
            user_id,
            first=first,
            after=after,
            event_type=event_type,
            event_types=event_types,
            start=start,
            end=end,
        )
        page = resolver.page_of_events(
            user_id,
            query,
            caller=info.context.caller,
            with_details="details" in asked,
        )
        shown = list(page.shown())
        # Each edge's cursor is signed only if the query asks for it.
        signed = "cursor" in asked
        edges = [
            EventEdge(
                node=Event.from_record(record, details),
                cursor=page.cursor_after(record) if signed else "",
            )
            for record, details in shown
        ]
        start_cursor = None
        if edges:
            start_cursor = edges[0].cursor if signed else page.cursor_after(shown[0][0])
        page_info = PageInfo(
            has_next_page=page.has_next,
            has_previous_page=False,
            start_cursor=start_cursor,
            end_cursor=page.end_cursor,
        )
        return EventConnection(edges=edges, page_info=page_info)

    @strawberry.field(
        description="One of the user's events, or null; FORBIDDEN for a user the token may "
        "not read, whether or not the event exists."
    )
    def event(self, info: ContextInfo, user_id: str, event_id: strawberry.ID) -> Event | None:
        with_details = "details" in _names_asked(info)
        record, details = info.context.resolver.record_and_details(
            user_id, event_id, caller=info.context.caller, with_details=with_details
        )
        if record is None or (with_details and record.event_id not in details):
            # An event whose details item is gone is not shown, as in a page and in REST.
            return None
        return Event.from_record(record, details.get(record.event_id))


def _names_asked(info: ContextInfo) -> set[str]:
    """The names of the fields (and fragments) selected anywhere below the field, in one walk
    of the document itself: Strawberry's `info.selected_fields` would first copy the whole
    selection into its own nodes, converting every argument and directive on the way."""
    raw = info._raw_info
    return _names_below(raw.field_nodes, raw.fragments)


def _names_below(
    selections: Iterable[SelectionNode], fragments: dict[str, FragmentDefinitionNode]
) -> set[str]:
    names: set[str] = set()
    for selection in selections:
        below: SelectionSetNode | None = None
        if isinstance(selection, FragmentSpreadNode):
            # Validation has refused unknown fragments and cycles before anything runs.
            names.add(selection.name.value)
            below = fragments[selection.name.value].selection_set
        elif isinstance(selection, FieldNode | InlineFragmentNode):
            if isinstance(selection, FieldNode):
                names.add(selection.name.value)
            below = selection.selection_set
        if below is not None:
            names |= _names_below(below.selections, fragments)
    return names


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Record an event; the same rules and idempotency as REST.")
    def record_event(self, info: ContextInfo, input: RecordEventInput) -> RecordEventPayload | None:
        result = info.context.resolver.record_event(input.as_body(), caller=info.context.caller)
        return RecordEventPayload(
            outcome=RecordOutcome[result.outcome.name], event=Event.from_event(result.stored())
        )

    @strawberry.mutation(
        description="Record a batch (up to 500): each input as recordEvent would, one result "
        "per input in order; one bad input never sinks the others."
    )
    def record_events(
        self, info: ContextInfo, inputs: list[RecordEventInput]
    ) -> list[RecordEventsResult] | None:
        results = info.context.resolver.record_inputs(
            [one.as_body() for one in inputs], caller=info.context.caller
        )
        return [_batch_result(index, result) for index, result in enumerate(results)]


def _batch_result(index: int, result: EventResult) -> RecordEventsResult:
    code = message = problems = None
    if result.error is not None:
        message, extensions = domain_error(result.error)
        code = extensions["code"]
        if "errors" in extensions:
            problems = [InputProblem(**problem) for problem in extensions["errors"]]
    return RecordEventsResult(
        index=index,
        outcome=result.outcome,
        event=None if result.event is None else Event.from_event(result.event),
        code=code,
        message=message,
        errors=problems,
    )


class EventLogSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Expected errors are answers, not incidents: OperationSteps (its ErrorCodes) logs the
        unexpected ones."""


def build_schema() -> strawberry.Schema:
    return EventLogSchema(
        query=Query,
        mutation=Mutation,
        config=StrawberryConfig(scalar_map=SCALARS),
        execution_context_class=PlainFieldsExecutionContext,
        # A factory, not an instance: each operation gets one of its own.
        extensions=[OperationSteps],
    )
