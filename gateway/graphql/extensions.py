"""The Strawberry extension of the schema: the limits on a document's size, caches of its parse
and validation, the operation-name rule of GraphQL's GetOperation(), the operation's name for
its metrics, and the errors' codes."""

import contextlib
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from graphql import (
    ASTValidationRule,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    ValidationContext,
    ValidationRule,
    parse,
)
from strawberry.extensions import ParserCache
from strawberry.schema.schema import validate_document

from gateway.graphql.errors import OPERATION_RESOLUTION_FAILURE, ErrorCodes
from persistence.telemetry import name_operation

# No depth limiter: the types are acyclic, so no query nests deeper than 4 levels
# (events > edges > node > field); a test keeps it so. Strawberry's QueryDepthLimiter skips
# introspection, so here it could never fire. Size is bounded by aliases and tokens.
MAX_ALIASES = 10
MAX_TOKENS = 2000
# Distinct documents whose parse and validation are kept (an LRU each; a client's queries are
# few and repeated, so most requests skip both).
CACHED_DOCUMENTS = 256


class MaxAliasesRule(ValidationRule):
    """At most MAX_ALIASES aliased fields, counted as they would run: a fragment's aliases once
    for each spread of it. Strawberry's MaxAliasesLimiter counts the same, but walks a fragment
    again at every spread, so a document of 20 fragments that each spread the one before twice
    costs 2^20 walks (a "fragment bomb": seconds of CPU per request); here each
    fragment is counted once, the document in linear time. A fragment cycle counts 0 here and
    is refused by GraphQL's own NoFragmentCycles rule."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        document = context.document
        fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        counted: dict[str, int] = {}

        def aliases(node: Any) -> int:
            total = 0
            for selection in getattr(node.selection_set, "selections", None) or ():
                if isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    if name not in counted and name in fragments:
                        counted[name] = 0  # in progress: a cycle adds nothing
                        counted[name] = aliases(fragments[name])
                    total += counted.get(name, 0)
                    continue
                if isinstance(selection, FieldNode) and selection.alias is not None:
                    total += 1
                total += aliases(selection)
            return total

        found = sum(
            aliases(definition)
            for definition in document.definitions
            if isinstance(definition, OperationDefinitionNode)
        )
        if found > MAX_ALIASES:
            context.report_error(GraphQLError(f"{found} aliases found. Allowed: {MAX_ALIASES}"))


class OperationSteps(ErrorCodes):
    """Every step of ours around an operation, in one extension (Strawberry enters each
    extension's hooks through a context manager made per request, so one extension costs a
    quarter of what seven did):

    - the limits: MaxAliasesRule among the validation rules, at most MAX_TOKENS tokens parsed
      (what Strawberry's AddValidationRules and MaxTokensLimiter do);
    - the parse, cached for documents that parse (one that does not is left to Strawberry's
      own parse, whose error ErrorCodes then sees);
    - GraphQL's GetOperation(): a document with several operations must say which to run
      (`operationName`); Strawberry would run the first one instead;
    - the validation, cached by the document's text (Strawberry's ValidationCache is keyed by
      the parsed document, whose hash walks every node of it on every request; the text stands
      for the document, parsed with the same options; the schema and the rules are part of the
      key as in Strawberry's);
    - the operation's name for its metrics: `graphql query` or `graphql mutation`;
    - the errors' codes (ErrorCodes)."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.validation_rules = (*context.validation_rules, MaxAliasesRule)
        context.parse_options["max_tokens"] = MAX_TOKENS
        yield from super().on_operation()

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        with contextlib.suppress(GraphQLError):
            context.graphql_document = _parsed(context.query, **context.parse_options)
        yield
        document = context.graphql_document
        if document is None or context._provided_operation_name is not None:
            return
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if len(operations) > 1:
            raise GraphQLError(
                "Must provide operation name if query contains multiple operations.",
                extensions={"code": OPERATION_RESOLUTION_FAILURE},
            )

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        context.pre_execution_errors = _validation_errors(
            context.schema._schema,
            context.query or "",
            tuple(context.validation_rules),
            tuple(sorted(context.parse_options.items())),
        )
        yield from super().on_validate()

    def on_execute(self) -> Iterator[None]:
        name_operation(f"graphql {self.execution_context.operation_type.value}")
        yield


# Strawberry's ParserCache's parse: an LRU shared by every ParserCache of this size.
_parsed = ParserCache(maxsize=CACHED_DOCUMENTS).cached_parse_document


@lru_cache(maxsize=CACHED_DOCUMENTS)
def _validation_errors(
    schema: GraphQLSchema,
    query: str,
    rules: tuple[type[ASTValidationRule], ...],
    parse_options: tuple[tuple[str, Any], ...],
) -> list[GraphQLError]:
    return validate_document(schema, parse(query, **dict(parse_options)), rules)
