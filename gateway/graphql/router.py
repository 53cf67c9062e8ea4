"""The GraphQL endpoint: Strawberry's FastAPI router, speaking GraphQL over HTTP as
`gateway.graphql.http` describes, with offline GraphiQL."""

from http import HTTPStatus
from typing import Any

from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from graphql import GraphQLError
from starlette.requests import Request
from strawberry.fastapi import GraphQLRouter
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET

from gateway.assets import OfflineAssets, root_path
from gateway.graphql.context import GraphQLContext, get_context
from gateway.graphql.errors import OPERATION_RESOLUTION_FAILURE
from gateway.graphql.http import GraphQLParams, parse_failure, read_params, result_response
from gateway.graphql.refusal import RequestRefused, refusal_response, response_media_type
from gateway.graphql.schema import build_schema
from persistence.telemetry import note_problem

# The operations each method may run: GET is safe, so queries only (mutations are 405).
_ALLOWED_OPERATIONS = {
    "GET": {OperationType.QUERY},
    "POST": {OperationType.QUERY, OperationType.MUTATION, OperationType.SUBSCRIPTION},
}


class EventLogGraphQLRouter(GraphQLRouter[GraphQLContext, None]):
    def __init__(self, assets: OfflineAssets) -> None:
        super().__init__(build_schema(), context_getter=get_context, graphql_ide="graphiql")
        self._assets = assets

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        """Strawberry's entry point for GET and POST (and the WebSocket, left as it is)."""
        if self.is_websocket_request(request):
            return await super().run(request, context, root_value)
        if self.should_render_graphql_ide(self.request_adapter_class(request)):
            return await self.render_graphql_ide(request)
        media = response_media_type(request.headers.get("accept"))
        try:
            if media is None:
                raise RequestRefused(
                    HTTPStatus.NOT_ACCEPTABLE,
                    "NOT_ACCEPTABLE",
                    "Accept application/graphql-response+json or application/json.",
                )
            params = await read_params(request)
            result = parse_failure(params.query) or await self._execute(
                params, request.method, context, root_value
            )
        except RequestRefused as refusal:
            return refusal_response(refusal, media)
        for error in result.errors or ():
            extensions = error.extensions or {}
            note_problem(str(extensions.get("code", "")), extensions.get("store"))
        return result_response(result, media)

    async def _execute(
        self, params: GraphQLParams, method: str, context: Any, root_value: Any
    ) -> ExecutionResult:
        try:
            # The operation's resolvers are sync and block on the stores: the whole execution
            # runs in one worker thread (the request's context, its deadline with it, is copied).
            return await run_in_threadpool(
                self.schema.execute_sync,
                params.query,
                variable_values=params.variables,
                context_value=context,
                root_value=root_value,
                operation_name=params.operation_name,
                allowed_operation_types=_ALLOWED_OPERATIONS[method],
                operation_extensions=params.extensions,
            )
        except InvalidOperationTypeError as exc:
            raise RequestRefused(
                HTTPStatus.METHOD_NOT_ALLOWED,
                "METHOD_NOT_ALLOWED",
                "Only queries may be sent with GET: send mutations with POST.",
                {"Allow": "POST"},
            ) from exc
        except CannotGetOperationTypeError as exc:
            # A request error like a validation failure: answered as one (no data).
            error = GraphQLError(
                exc.as_http_error_reason(), extensions={"code": OPERATION_RESOLUTION_FAILURE}
            )
            return ExecutionResult(data=None, errors=[error])

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        page = self.graphql_ide_html.replace(_WELCOME, _WELCOME + _WHERE_THE_TOKEN_GOES, 1)
        return HTMLResponse(self._assets.localize(page, root_path(request)))


# GraphiQL's opening comment, and what we add under it: where a bearer token goes. (It is a
# JavaScript template literal: no backticks.)
_WELCOME = "# Welcome to GraphiQL 🍓\n#\n"
_WHERE_THE_TOKEN_GOES = (
    "# Operations need a bearer token when the server checks them (introspection and this page\n"
    "# do not): open the Headers tab below and enter\n"
    '#     {"Authorization": "Bearer <your token>"}\n'
    "# (make run AUTH=dev prints one; ?headers=... in this page's address fills the tab)\n"
    "#\n"
)
